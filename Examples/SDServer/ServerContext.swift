import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the connection, so that a handler can
/// watch for its client leaving (``ClientDisconnectMonitor``).
public struct ServerContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The client's connection.
    let channel: any Channel

    /// Made by Hummingbird for each request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
