import Foundation
import Hummingbird
import SDServer
import Testing

/// Bad requests are answered with a status and a message, never a crash; the server keeps serving.
@Suite("Server error responses", .serialized)
struct ErrorResponseTests {
    static let png64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

    /// (path, body, a part of the expected message)
    static let cases: [(String, String, String)] = [
        ("txt2img", #"{"prompt": "x""#, "not valid JSON"),
        ("txt2img", "", "not valid JSON"),
        ("txt2img", #"["a list"]"#, "must be a JSON object"),
        ("txt2img", #"{"steps": "many"}"#, "steps must be an integer"),
        ("txt2img", #"{"steps": 2.5}"#, "steps must be an integer"),
        ("txt2img", #"{"cfg_scale": "high"}"#, "cfg_scale must be a number"),
        ("txt2img", #"{"steps": 0}"#, "steps is 0; expected 1…60"),
        ("txt2img", #"{"steps": 61}"#, "steps is 61; expected 1…60"),
        ("txt2img", #"{"width": 128, "height": 128, "steps": 1}"#, "at most 4096"),
        ("txt2img", #"{"width": 60, "height": 64, "steps": 1}"#, "multiple of 8"),
        ("txt2img", #"{"seed": -2}"#, "seed is -2"),
        ("txt2img", #"{"batch_size": 3, "n_iter": 2}"#, "at most 4 images"),
        ("txt2img", #"{"sampler_name": "DPM++ SDE"}"#, "sampler_name 'DPM++ SDE' is not available"),
        ("txt2img", #"{"sampler_name": "Euler", "scheduler": "Karras"}"#, "only with DPM++ 2M"),
        ("txt2img", #"{"scheduler": "exponential"}"#, "scheduler 'exponential' is not available"),
        ("txt2img", #"{"enable_hr": true}"#, "hires fix"),
        ("txt2img", #"{"override_settings": {"CLIP_stop_at_last_layers": "two"}}"#, "override_settings.CLIP_stop_at_last_layers must be an integer"),
        ("txt2img", #"{"save_images": true}"#, "--output-dir"),
        ("img2img", #"{"prompt": "x"}"#, "init_images must hold at least one"),
        ("img2img", #"{"init_images": ["%%%"]}"#, "init_images[0] is not valid base64"),
        ("img2img", #"{"init_images": ["aGVsbG8gd29ybGQ="]}"#, "init_images[0]: "),
        ("img2img", #"{"init_images": [42]}"#, "init_images[0] must be a string"),
        ("img2img", #"{"init_images": ["\#(png64)"], "width": 64, "height": 64}"#, "resizing is not available"),
        ("img2img", #"{"init_images": ["\#(png64)"], "mask": "\#(png64)", "inpainting_fill": 3}"#, "inpainting_fill 3"),
        ("img2img", #"{"init_images": ["\#(png64)"], "mask": "%%%"}"#, "mask is not valid base64"),
    ]

    @Test func malformedOrOutOfLimitRequestsAre422WithAMessage() async throws {
        try await ServerHarness.withServer({ $0.maxSteps = 60; $0.maxPixels = 4096; $0.maxImages = 4 }) { client in
            for (path, body, expected) in Self.cases {
                let response = try await client.post("/sdapi/v1/\(path)", body)
                #expect(response.status == .unprocessableContent, "\(path) \(body): \(response.status) \(response.text)")
                let detail = try response.json()["detail"].string ?? ""
                #expect(detail.contains(expected), "\(body): \(detail)")
            }
            // Still serving.
            let after = try await client.post("/sdapi/v1/txt2img", #"{"steps": 1, "width": 64, "height": 64}"#)
            #expect(after.status == .ok)
        }
    }

    @Test func bodyLargerThanTheLimitIs422() async throws {
        try await ServerHarness.withServer({ $0.maxBodyBytes = 2048 }) { client in
            let padding = String(repeating: "a", count: 4096)
            let response = try await client.post("/sdapi/v1/txt2img", #"{"prompt": "\#(padding)"}"#)
            #expect(response.status == .unprocessableContent)
            let detail = try response.json()["detail"].string ?? ""
            #expect(detail.contains("larger than this server's limit of 2048 bytes"), "\(detail)")
        }
    }

    @Test func basicAuthGuardsEveryRoute() async throws {
        try await ServerHarness.withServer({ $0.credentials = [BasicCredentials(user: "ann", password: "s3:cret")] }) { client in
            for path in ["/sdapi/v1/samplers", "/openapi.json", "/sdapi/v1/progress"] {
                let response = try await client.get(path)
                #expect(response.status == .unauthorized, "\(path)")
                #expect(response.header("WWW-Authenticate") == "Basic")
            }
            let wrong = try await client.request("GET", "/sdapi/v1/samplers",
                                                 headers: ["Authorization": "Basic " + Data("ann:nope".utf8).base64EncodedString()])
            #expect(wrong.status == .unauthorized)
            let garbage = try await client.request("GET", "/sdapi/v1/samplers", headers: ["Authorization": "Basic %%%"])
            #expect(garbage.status == .unauthorized)
            let generation = try await client.post("/sdapi/v1/txt2img", #"{"steps": 1}"#)
            #expect(generation.status == .unauthorized)
            let right = try await client.request("GET", "/sdapi/v1/samplers",
                                                 headers: ["Authorization": "Basic " + Data("ann:s3:cret".utf8).base64EncodedString()])
            #expect(right.status == .ok)
        }
    }

    @Test func apiAuthListParsing() throws {
        #expect(try BasicCredentials.parseList("a:b,c:d:e") == [BasicCredentials(user: "a", password: "b"),
                                                                 BasicCredentials(user: "c", password: "d:e")])
        #expect(throws: APIError.self) { try BasicCredentials.parseList("nopassword") }
        #expect(throws: APIError.self) { try BasicCredentials.parseList(":x") }
    }

    @Test func unknownRouteIs404() async throws {
        try await ServerHarness.withServer { client in
            let response = try await client.get("/sdapi/v1/nothing")
            #expect(response.status == .notFound)
        }
    }
}
