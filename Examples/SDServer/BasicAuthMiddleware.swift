import Foundation
import Hummingbird

/// HTTP basic authentication for every route, as A1111's `--api-auth`: a request without valid
/// credentials is answered 401 with `WWW-Authenticate: Basic`.
struct BasicAuthMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let credentials: [BasicCredentials]

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !credentials.isEmpty else { return try await next(request, context) }
        guard let given = Self.credentials(in: request.headers[.authorization]), credentials.contains(given) else {
            throw APIError(status: .unauthorized, detail: "Incorrect username or password",
                           headers: [.wwwAuthenticate: "Basic"])
        }
        return try await next(request, context)
    }

    /// `Basic base64(user:password)` → the pair, or nil when malformed.
    static func credentials(in header: String?) -> BasicCredentials? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return BasicCredentials(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}
