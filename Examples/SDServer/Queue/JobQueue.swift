import Foundation
import PostgresNIO

/// The PostgreSQL job queue shared by `sd serve --queue` nodes (which enqueue requests and wait for
/// their results) and `sd worker`s (which claim, run and complete them). The statements live in
/// `JobQueue+Node.swift` and `JobQueue+Worker.swift`; the schema in ``QueueSchema``.
///
/// Times are the database's (`now()`), never a machine's clock, so leases work across machines
/// whose clocks differ.
public final class JobQueue: Sendable {
    /// Where the queue lives (the password is only in the pool's configuration).
    public let address: QueueAddress
    let client: PostgresClient
    let logger: Logger

    private init(address: QueueAddress, client: PostgresClient, logger: Logger) {
        self.address = address
        self.client = client
        self.logger = logger
    }

    /// Connects once directly, so that a wrong address or password fails at once with a typed
    /// error (the pool would keep retrying), migrates the schema, and returns the queue. Call
    /// ``run()`` on a task for as long as the queue is used.
    ///
    /// - Throws: ``QueueError`` naming the address and what failed.
    public static func open(_ address: QueueAddress) async throws(QueueError) -> JobQueue {
        var logger = Logger(label: "sd.queue")
        logger.logLevel = .critical
        let url = address.redacted
        do {
            let tls: PostgresConnection.Configuration.TLS = switch address.sslMode {
            case "disable": .disable
            case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            var configuration = PostgresConnection.Configuration(
                host: address.host, port: address.port, username: address.user, password: address.password,
                database: address.database, tls: tls)
            configuration.options.connectTimeout = .seconds(10)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            do {
                try await QueueSchema.migrate(connection, logger: logger)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            throw QueueError.from(error, url: url)
        }
        let client = PostgresClient(configuration: address.clientConfiguration, backgroundLogger: logger)
        return JobQueue(address: address, client: client, logger: logger)
    }

    /// Runs the connection pool until the task is cancelled.
    public func run() async { await client.run() }

    /// Runs a statement, turning PostgresNIO's errors into ``QueueError``.
    @discardableResult
    func execute(_ query: PostgresQuery) async throws(QueueError) -> PostgresRowSequence {
        do { return try await client.query(query, logger: logger) } catch {
            throw QueueError.from(error, url: address.redacted)
        }
    }

    /// Runs a statement and decodes every row.
    func rows<each Column: PostgresDecodable & Sendable>(_ query: PostgresQuery, as types: (repeat each Column).Type)
        async throws(QueueError) -> [(repeat each Column)] {
        do {
            var result: [(repeat each Column)] = []
            for try await row in try await client.query(query, logger: logger).decode(types) { result.append(row) }
            return result
        } catch {
            throw QueueError.from(error, url: address.redacted)
        }
    }
}
