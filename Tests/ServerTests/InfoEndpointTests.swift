import Foundation
import Hummingbird
import SDServer
import Testing

/// The read-only endpoints and the OpenAPI document.
@Suite("Server info endpoints")
struct InfoEndpointTests {
    @Test func samplersModelsOptionsSchedulers() async throws {
        try await ServerHarness.withServer { client in
            let samplers = try await client.json("/sdapi/v1/samplers").array.compactMap { $0["name"].string }
            #expect(samplers.contains("Euler a"))
            #expect(samplers.contains("DPM++ 2M"))
            #expect(samplers.contains("DDIM"))
            let schedulers = try await client.json("/sdapi/v1/schedulers").array.compactMap { $0["label"].string }
            #expect(schedulers == ["Automatic", "Karras"])
            let models = try await client.json("/sdapi/v1/sd-models")
            #expect(models[0]["model_name"].string == "sd15-tiny")
            #expect(models[0]["filename"].string == ServerHarness.modelPath)
            let options = try await client.json("/sdapi/v1/options")
            #expect(options["sd_model_checkpoint"].string == "sd15-tiny")
            #expect(options["CLIP_stop_at_last_layers"].int == 1)
        }
    }

    @Test func openAPIDocumentDescribesEveryRouteAndNoOther() async throws {
        try await ServerHarness.withServer { client in
            let document = try await client.json("/openapi.json")
            #expect(document["openapi"].string?.hasPrefix("3.") == true)
            guard case .object(let paths) = document["paths"] else {
                Issue.record("no paths")
                return
            }
            let described = Set(paths.flatMap { path, item -> [String] in
                guard case .object(let operations) = item else { return [] }
                return operations.keys.map { "\($0.uppercased()) \(path)" }
            })
            let served = Set(SDServer.routes.map { "\($0.method) \($0.path)" })
            #expect(described == served)
            // Every route answers.
            for route in SDServer.routes where route.method == "GET" {
                let response = try await client.get(route.path)
                #expect(response.status == .ok, "\(route.path)")
            }
        }
    }
}
