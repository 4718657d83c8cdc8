/// A built-in preprocessor that turns an ordinary picture into a ControlNet's control image before
/// it is resized to the output size (the web UI ControlNet extension's "Module"). Only Canny edges
/// are built in; any other preprocessed image (depth, pose, …) can be passed as the control image.
public enum ControlImagePreprocessor: Sendable, Equatable {
    /// OpenCV's `cv2.Canny` on the picture, stacked into three channels (``CannyEdgeDetector``),
    /// as diffusers' Canny ControlNet examples prepare their control images.
    case canny(CannyEdgeDetector)

    /// The preprocessed control image, at the picture's own size.
    public func apply(to image: RGBImage) -> RGBImage {
        switch self {
        case .canny(let detector): return detector.edges(of: image)
        }
    }

    /// The web UI's name of the module and its settings, for the PNG parameters text
    /// (`Module: canny, …, Threshold A: 100, Threshold B: 200`).
    var parametersText: (module: String, thresholds: String) {
        switch self {
        case .canny(let detector):
            return ("canny", "Threshold A: \(Self.format(detector.lowThreshold)), Threshold B: \(Self.format(detector.highThreshold)), ")
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
