import PostgresNIO

/// What can go wrong with the PostgreSQL job queue (`sd serve --queue`, `sd worker`), in one line
/// each, naming the URL (without its password) or the job.
public enum QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `--queue` value is not `postgres://user[:password]@host[:port]/database`.
    case badURL(String, reason: String)
    /// No PostgreSQL server answered at the address (refused, unknown host, timed out).
    case unreachable(String, reason: String)
    /// The server answered but refused the connection or a statement (authentication, missing database, …).
    case database(String, reason: String)
    /// The database holds a newer schema than this `sd` knows.
    case schemaTooNew(found: Int, known: Int)

    /// The message.
    public var description: String {
        switch self {
        case .badURL(let url, let reason): "--queue \(url): \(reason); expected postgres://user[:password]@host[:port]/database"
        case .unreachable(let url, let reason): "cannot reach PostgreSQL at \(url): \(reason)"
        case .database(let url, let reason): "PostgreSQL at \(url): \(reason)"
        case .schemaTooNew(let found, let known):
            "the job queue's schema is version \(found) but this sd knows versions up to \(known); upgrade sd"
        }
    }

    /// Turns a PostgresNIO error into a one-line queue error. PSQLError's own description is
    /// deliberately generic (it may reach end users); this one goes to the operator, so it names
    /// the server's message, never the password.
    static func from(_ error: any Error, url: String) -> QueueError {
        if let error = error as? QueueError { return error }
        if let error = error as? PostgresTransactionError,
           let inner = error.closureError ?? error.beginError ?? error.commitError {
            return from(inner, url: url)
        }
        guard let error = error as? PSQLError else { return .database(url, reason: "\(error)") }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return .database(url, reason: message + state)
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .sslUnsupported, .uncleanShutdown:
            return .unreachable(url, reason: error.underlying.map { "\($0)" } ?? "\(error.code)")
        default:
            return .database(url, reason: "\(error.code)" + (error.underlying.map { ": \($0)" } ?? ""))
        }
    }
}
