import Foundation
import PostgresNIO

/// A parsed `--queue postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
public struct QueueAddress: Sendable, Equatable {
    /// Server host name or address.
    public let host: String
    /// TCP port (5432 unless given).
    public let port: Int
    /// Role to log in as.
    public let user: String
    /// Password, if any (percent-decoded).
    public let password: String?
    /// Database name.
    public let database: String
    /// libpq's `sslmode`: `disable`, `prefer` (the default, as libpq's) or `require`.
    public let sslMode: String

    /// The URL with the password hidden, for messages and logs.
    public var redacted: String { "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)" }

    /// Parses a `postgres://` or `postgresql://` URL as libpq writes them.
    ///
    /// - Throws: ``QueueError/badURL(_:reason:)`` naming what is missing or malformed.
    public init(_ text: String) throws(QueueError) {
        let shown = text.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression)
        guard let components = URLComponents(string: text) else { throw .badURL(shown, reason: "not a URL") }
        guard let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw .badURL(shown, reason: "the scheme must be postgres://")
        }
        guard let host = components.host, !host.isEmpty else { throw .badURL(shown, reason: "no host") }
        guard let user = components.user, !user.isEmpty else { throw .badURL(shown, reason: "no user name") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw .badURL(shown, reason: "no database name after the host") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw .badURL(shown, reason: "port \(port) is out of range") }
        var sslMode = "prefer"
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw .badURL(shown, reason: "unknown parameter '\(item.name)' (only sslmode is read)") }
            guard let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                throw .badURL(shown, reason: "sslmode must be disable, prefer or require")
            }
            sslMode = value
        }
        self.host = host
        self.port = port
        self.user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
    }

    /// The pool configuration (PostgresClient).
    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
