import Foundation
import SDServer
import Testing

/// `--queue` URLs and the errors a node or worker gives before any job runs. The queue itself needs
/// a PostgreSQL server: Tests/Scripts/queue-scale-out.sh runs it end to end.
@Suite("Job queue address and connection errors")
struct QueueAddressTests {
    @Test func parsesLibpqStyleURLs() throws {
        let address = try QueueAddress("postgres://sd:p%40ss@db.example:6543/jobs?sslmode=disable")
        #expect(address.host == "db.example")
        #expect(address.port == 6543)
        #expect(address.user == "sd")
        #expect(address.password == "p@ss")
        #expect(address.database == "jobs")
        #expect(address.sslMode == "disable")
        #expect(address.redacted == "postgres://sd:***@db.example:6543/jobs")

        let defaults = try QueueAddress("postgresql://sd@localhost/jobs")
        #expect(defaults.port == 5432)
        #expect(defaults.password == nil)
        #expect(defaults.sslMode == "prefer")
    }

    @Test func malformedURLsAreTypedErrorsThatHideThePassword() {
        let cases: [(String, String)] = [
            ("mysql://sd@host/db", "the scheme must be postgres://"),
            ("postgres://sd:secret@host", "no database name"),
            ("postgres://host/db", "no user name"),
            ("postgres://sd@:5432/db", "no host"),
            ("postgres://sd@host/db?sslmode=maybe", "sslmode must be disable, prefer or require"),
            ("postgres://sd@host/db?timeout=3", "unknown parameter 'timeout'"),
            ("not a url at all", "the scheme must be postgres://"),
        ]
        for (url, expected) in cases {
            #expect {
                _ = try QueueAddress(url)
            } throws: { error in
                let message = "\(error)"
                return message.contains(expected) && !message.contains("secret") && message.contains("expected postgres://")
            }
        }
    }

    /// Port 1 on loopback has no listener: the connection is refused at once, and the error is one
    /// line naming the address (the pool alone would keep retrying without telling anyone).
    @Test func unreachableDatabaseIsATypedErrorNotAHang() async throws {
        let address = try QueueAddress("postgres://sd:secret@127.0.0.1:1/jobs?sslmode=disable")
        await #expect {
            _ = try await JobQueue.open(address)
        } throws: { error in
            guard case QueueError.unreachable(let url, _)? = error as? QueueError else { return false }
            let message = "\(error)"
            return url == "postgres://sd:***@127.0.0.1:1/jobs" && message.hasPrefix("cannot reach PostgreSQL at ")
                && !message.contains("secret") && !message.contains("\n")
        }
    }
}
