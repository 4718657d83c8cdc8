import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import SDServer
import StableDiffusion
import Testing
import _TestSupport

/// Starts `sd serve`'s server in-process on 127.0.0.1 with an ephemeral port and the tiny fixture
/// model, and sends it real HTTP requests over TCP (URLSession).
enum ServerHarness {
    static let modelPath = Fixtures.path("pipeline/sd15-tiny")

    /// The tiny model, loaded once for every test.
    static let pipeline: Result<StableDiffusionPipeline, PipelineError> = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: modelPath)
    }

    /// Runs `body` against a fresh server; the server stops when `body` returns.
    static func withServer<T: Sendable>(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                                        _ body: @Sendable (ServerClient) async throws -> T) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        let server = SDServer(pipeline: try pipeline.get(), modelPath: modelPath, configuration: configuration)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { port in portContinuation.yield(port) } }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HarnessError("the server did not start") }
            defer { group.cancelAll() }
            return try await body(ServerClient(port: port))
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An HTTP response as the tests read it.
struct HTTPReply: Sendable {
    let status: HTTPResponse.Status
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// A header, by case-insensitive name.
    func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }

    /// The body parsed as JSON.
    func json() throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: body) }
}

/// Sends requests to the server under test over TCP with URLSession, a connection per request as
/// concurrent clients make them.
struct ServerClient: Sendable {
    let port: Int

    /// A session allowing many connections at once (URLSession's default of 6 per host would queue
    /// requests in the client instead of the server).
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 300
        return URLSession(configuration: configuration)
    }()

    func urlRequest(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) -> URLRequest {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> HTTPReply {
        let (data, response) = try await Self.session.data(for: urlRequest(method, path, body: body, headers: headers))
        guard let http = response as? HTTPURLResponse else { throw HarnessError("\(path): not an HTTP response") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)"] = "\(value)" }
        return HTTPReply(status: HTTPResponse.Status(code: http.statusCode), headers: fields, body: data)
    }

    func get(_ path: String) async throws -> HTTPReply { try await request("GET", path) }
    func post(_ path: String, _ body: String) async throws -> HTTPReply { try await request("POST", path, body: body) }

    /// GET as JSON.
    func json(_ path: String) async throws -> JSONValue {
        let response = try await get(path)
        #expect(response.status == .ok, "\(path): \(response.status)")
        return try response.json()
    }

    /// Polls `/sdapi/v1/progress` until `condition` holds. Polling waits for an event, it measures
    /// nothing; the deadline only keeps a broken server from hanging the suite.
    func waitForProgress(_ what: String, _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let progress = try await json("/sdapi/v1/progress")
            if condition(progress) { return progress }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw HarnessError("progress never showed \(what)")
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue {
        if case .object(let fields) = self { return fields[key] ?? .null }
        return .null
    }

    subscript(index: Int) -> JSONValue {
        if case .array(let values) = self, values.indices.contains(index) { return values[index] }
        return .null
    }

    var string: String? { if case .string(let value) = self { return value } else { return nil } }
    var int: Int64? { if case .integer(let value) = self { return value } else { return nil } }
    var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }
    var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    var array: [JSONValue] { if case .array(let values) = self { return values } else { return [] } }

    /// A JSON string field holding JSON (A1111's `info`), parsed.
    var embedded: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data((string ?? "null").utf8))) ?? .null }

    /// A base64 PNG string, decoded.
    func png() throws -> (image: RGBImage, parameters: String?) {
        guard let text = string, let data = Data(base64Encoded: text) else { throw HarnessError("not a base64 string: \(self)") }
        return try RGBImage.decodePNG(data)
    }
}
