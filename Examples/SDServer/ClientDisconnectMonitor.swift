import NIOCore
import Synchronization

/// Notices when a client goes away (closes or half-closes its connection, or the connection breaks)
/// so that the request it was waiting for can be cancelled: Hummingbird does not cancel a handler
/// when its connection ends, and a generation of minutes for nobody would hold a slot. One per
/// connection, in the channel pipeline after HTTP decoding.
final class ClientDisconnectMonitor: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private struct State {
        var gone = false
        var callbacks: [Int: @Sendable () -> Void] = [:]
        var nextKey = 0
    }

    private let state = Mutex(State())

    init() {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event { clientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientLeft()
        context.fireChannelInactive()
    }

    /// Calls `callback` once when the client leaves (at once if it has left); returns a key for
    /// ``cancel(_:)``.
    func onClientLeft(_ callback: @escaping @Sendable () -> Void) -> Int {
        let (key, gone) = state.withLock { state -> (Int, Bool) in
            let key = state.nextKey
            state.nextKey += 1
            if !state.gone { state.callbacks[key] = callback }
            return (key, state.gone)
        }
        if gone { callback() }
        return key
    }

    /// Forgets a callback (the request finished).
    func cancel(_ key: Int) {
        _ = state.withLock { $0.callbacks.removeValue(forKey: key) }
    }

    private func clientLeft() {
        let callbacks = state.withLock { state -> [@Sendable () -> Void] in
            state.gone = true
            defer { state.callbacks.removeAll() }
            return Array(state.callbacks.values)
        }
        callbacks.forEach { $0() }
    }
}
