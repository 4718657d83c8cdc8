import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import SDServer
import Testing

/// The bounded queue, /progress, /interrupt and cancellation when a client leaves. Long generations
/// are made with many steps of the tiny model and ended by interrupting them, so no test depends on
/// how fast the machine is: each waits (by polling /progress) for the state it needs.
@Suite("Server queue, progress and interrupt", .serialized)
struct QueueAndInterruptTests {
    static let long = #"{"prompt": "x", "steps": 1000, "width": 64, "height": 64, "seed": 1, "sampler_name": "Euler"}"#

    @Test func fullQueueIs503WithRetryAfterAndInterruptReturnsWhatWasDone() async throws {
        try await ServerHarness.withServer({ $0.parallel = 1; $0.maxQueue = 1; $0.maxSteps = 1000 }) { client in
            let idle = try await client.json("/sdapi/v1/progress")
            #expect(idle["progress"].double == 0)
            #expect(idle["state"]["job"].string == "")
            #expect(idle["current_image"] == .null)

            let running = Task { try await client.post("/sdapi/v1/txt2img", Self.long) }
            let progress = try await client.waitForProgress("a running step") { ($0["state"]["sampling_step"].int ?? 0) >= 1 }
            #expect(progress["state"]["job"].string == "txt2img")
            #expect(progress["state"]["sampling_steps"].int == 1000)
            #expect((progress["progress"].double ?? 0) > 0)
            #expect(progress["queue"]["running"].int == 1)

            let waiting = Task {
                try await client.post("/sdapi/v1/txt2img", #"{"prompt": "y", "steps": 1, "width": 64, "height": 64}"#)
            }
            _ = try await client.waitForProgress("a waiting request") { $0["queue"]["waiting"].int == 1 }
            let refused = try await client.post("/sdapi/v1/txt2img", #"{"steps": 1, "width": 64, "height": 64}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(Int(refused.header("Retry-After") ?? "") != nil, "\(refused.headers)")
            let detail = try refused.json()["detail"].string ?? ""
            #expect(detail.contains("busy"), "\(detail)")

            let interrupt = try await client.post("/sdapi/v1/interrupt", "")
            #expect(interrupt.status == .ok)
            let interrupted = try await running.value
            #expect(interrupted.status == .ok, "\(interrupted.text)")
            let body = try interrupted.json()
            #expect(body["images"].array.isEmpty)
            #expect(body["info"].embedded["interrupted"].bool == true)

            // The interrupt stops what runs, not the queue.
            let queued = try await waiting.value
            #expect(queued.status == .ok)
            let queuedImages = try queued.json()["images"].array
            #expect(queuedImages.count == 1)
        }
    }

    @Test func interruptStopsTheRemainingImagesOfTheRequest() async throws {
        try await ServerHarness.withServer({ $0.maxSteps = 1000; $0.maxImages = 3 }) { client in
            let running = Task {
                try await client.post("/sdapi/v1/txt2img", #"{"steps": 1000, "width": 64, "height": 64, "seed": 4, "n_iter": 3}"#)
            }
            _ = try await client.waitForProgress("a started job") { $0["state"]["job"].string == "txt2img" }
            let interrupt = try await client.post("/sdapi/v1/interrupt", "")
            #expect(interrupt.status == .ok)
            let body = try await running.value.json()
            #expect(body["images"].array.isEmpty)
            #expect(body["info"].embedded["all_seeds"].array.count == 3)
            let after = try await client.json("/sdapi/v1/progress")
            #expect(after["state"]["interrupted"].bool == true)
        }
    }

    @Test func generationStopsWhenTheClientGoesAway() async throws {
        try await ServerHarness.withServer({ $0.maxSteps = 1000 }) { client in
            let leaving = ServerClient.session.dataTask(with: client.urlRequest("POST", "/sdapi/v1/txt2img", body: Self.long))
            leaving.resume()
            _ = try await client.waitForProgress("a running step") { ($0["state"]["sampling_step"].int ?? 0) >= 1 }
            // Cancelling the transfer closes its connection.
            leaving.cancel()
            let after = try await client.waitForProgress("the job ending") { $0["state"]["job"].string == "" }
            // Cancelled for its client, not interrupted.
            #expect(after["state"]["interrupted"].bool == false)
            #expect(after["queue"]["running"].int == 0)
            #expect(after["queue"]["cancelled"].int == 1)
        }
    }

    @Test func twentyConcurrentRequestsAreEachAnswered200Or503() async throws {
        try await ServerHarness.withServer({ $0.maxQueue = 5 }) { client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let response = try await client.post("/sdapi/v1/txt2img",
                                                             #"{"steps": 1, "width": 64, "height": 64, "seed": \#(index)}"#)
                        return Int(response.status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 20)
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(statuses)")
            #expect(statuses.contains(200))
        }
    }
}
