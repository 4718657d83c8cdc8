import Foundation
import Hummingbird

/// An error answered to the client as JSON `{"error": NAME, "detail": MESSAGE}` (FastAPI's `detail`,
/// which A1111 clients print) with its HTTP status.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// What went wrong, in one line.
    public let detail: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public let headers: HTTPFields

    /// An error with a status, message and optional headers.
    public init(status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    /// 422: the request cannot be carried out as given (A1111 / FastAPI answer validation failures so).
    public static func unprocessable(_ detail: String) -> APIError { APIError(status: .unprocessableContent, detail: detail) }

    /// The message.
    public var description: String { "\(status.code) \(detail)" }

    /// The JSON response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = .object(["error": .string(status.reasonPhrase), "detail": .string(detail)])
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body.jsonText)))
    }
}
