import Foundation
import TensorModule

extension DiffusersSchedulerConfig {
    /// Reads a `scheduler_config.json`.
    ///
    /// The file may contain the non-standard tokens `Infinity` / `-Infinity` / `NaN` that Python's
    /// `json` module writes (diffusers saves `lambda_min_clipped` as `-Infinity`).
    ///
    /// - Parameter url: The file (usually `<model>/scheduler/scheduler_config.json`).
    /// - Throws: ``SchedulerError/invalidConfigFile(path:reason:)`` if it cannot be read or decoded.
    public init(contentsOf url: URL) throws(SchedulerError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .invalidConfigFile(path: url.path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data, path: url.path)
    }

    /// Decodes a `scheduler_config.json` from memory.
    ///
    /// - Parameters:
    ///   - jsonData: The JSON text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: ``SchedulerError/invalidConfigFile(path:reason:)`` if it is not a valid configuration.
    public init(jsonData: Data, path: String = "scheduler_config.json") throws(SchedulerError) {
        // Foundation's JSON5 scanner traps on invalid UTF-8 in an unquoted key instead of throwing
        // (found by fuzzing, swift-foundation 6.3), so the text is checked first.
        guard String(data: jsonData, encoding: .utf8) != nil else {
            throw .invalidConfigFile(path: path, reason: "not UTF-8 text")
        }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        do {
            self = try decoder.decode(DiffusersSchedulerConfig.self, from: jsonData)
        } catch let error as DecodingError {
            throw .invalidConfigFile(path: path, reason: JSONDecodingDiagnostics.misreportedNumber(error, in: jsonData) ?? Self.explain(error))
        } catch {
            throw .invalidConfigFile(path: path, reason: "\(error)")
        }
    }

    /// This configuration with every key that `other` sets replaced by `other`'s value, as
    /// diffusers' `from_config(config, **overrides)` does.
    ///
    /// - Parameter other: The overriding options (only its non-nil keys matter).
    /// - Returns: The merged configuration.
    public func overriding(with other: DiffusersSchedulerConfig) -> DiffusersSchedulerConfig {
        var merged = self
        func take<Value>(_ key: WritableKeyPath<DiffusersSchedulerConfig, Value?>) {
            if let value = other[keyPath: key] { merged[keyPath: key] = value }
        }
        take(\.className); take(\.diffusersVersion); take(\.numTrainTimesteps); take(\.betaStart)
        take(\.betaEnd); take(\.betaSchedule); take(\.trainedBetas); take(\.predictionType)
        take(\.timestepSpacing); take(\.stepsOffset); take(\.setAlphaToOne); take(\.clipSample)
        take(\.clipSampleRange); take(\.thresholding); take(\.rescaleBetasZeroSNR); take(\.skipPRKSteps)
        take(\.interpolationType); take(\.timestepType); take(\.useKarrasSigmas); take(\.useExponentialSigmas)
        take(\.useBetaSigmas); take(\.useLuLambdas); take(\.useFlowSigmas); take(\.useDynamicShifting)
        take(\.sigmaMin); take(\.sigmaMax); take(\.finalSigmasType); take(\.solverOrder)
        take(\.algorithmType); take(\.solverType); take(\.lowerOrderFinal); take(\.eulerAtFinal)
        take(\.lambdaMinClipped); take(\.varianceType); take(\.predictX0); take(\.disableCorrector)
        take(\.originalInferenceSteps); take(\.timestepScaling)
        return merged
    }

    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "top level" : "key '\(keys.joined(separator: "."))'"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): missing \(type)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing key '\(key.stringValue)'"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
