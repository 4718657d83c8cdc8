/// Collects one component's name map: each `map` call names a checkpoint tensor (under
/// `sourcePrefix`) and the component name it becomes (under `targetPrefix`), checks that the tensor
/// exists and records the shape the component will see.
struct ComponentMapBuilder {
    let component: SingleFileComponent
    let shapes: [String: [Int]]
    let path: String
    let sourcePrefix: String
    let targetPrefix: String
    private(set) var entries: [String: SingleFileTensorSource] = [:]
    private(set) var usedKeys: Set<String> = []
    /// Maps names without a checkpoint (every tensor counts as present, shape unknown): to list the
    /// checkpoint's names for a layout, as LoRA files with LDM names need.
    var discovering = false

    init(component: SingleFileComponent, shapes: [String: [Int]], path: String, sourcePrefix: String, targetPrefix: String) {
        self.component = component
        self.shapes = shapes
        self.path = path
        self.sourcePrefix = sourcePrefix
        self.targetPrefix = targetPrefix
    }

    /// The shape of a checkpoint tensor (relative name), or a missing-tensor error naming it and the
    /// component name it was wanted for.
    func shape(_ source: String, for target: String) throws(SingleFileError) -> [Int] {
        guard let shape = shapes[sourcePrefix + source] else {
            if discovering { return [] }
            throw .missingTensor(path: path, key: sourcePrefix + source, component: component, componentKey: targetPrefix + target)
        }
        return shape
    }

    /// Whether the checkpoint holds a tensor (relative name).
    func has(_ source: String) -> Bool { shapes[sourcePrefix + source] != nil }

    /// Maps one tensor, as stored.
    mutating func map(_ source: String, to target: String) throws(SingleFileError) {
        let shape = try shape(source, for: target)
        record(source, target, SingleFileTensorSource(checkpointKey: sourcePrefix + source, transform: .identity, shape: shape))
    }

    /// Maps one tensor, presenting its elements with `shape` (which must hold as many elements).
    mutating func map(_ source: String, to target: String, reshapedTo shape: [Int]) throws(SingleFileError) {
        let stored = try self.shape(source, for: target)
        guard stored != shape else { return try map(source, to: target) }
        guard stored.reduce(1, *) == shape.reduce(1, *) else {
            throw .invalidTensorShape(path: path, key: sourcePrefix + source, shape: stored,
                                      reason: "cannot be read as \(shape) for the \(component.displayName)'s '\(targetPrefix + target)'")
        }
        record(source, target, SingleFileTensorSource(checkpointKey: sourcePrefix + source, transform: .reshape, shape: shape))
    }

    /// Maps `weight` and `bias` of a module.
    mutating func mapParameters(_ source: String, to target: String) throws(SingleFileError) {
        try map("\(source).weight", to: "\(target).weight")
        try map("\(source).bias", to: "\(target).bias")
    }

    /// Maps the rows `part` of `parts` equal row blocks of a fused tensor (q, k, v of `in_proj_*`).
    mutating func mapRows(_ source: String, part: Int, of parts: Int, to target: String) throws(SingleFileError) {
        let stored = try shape(source, for: target)
        guard let rows = stored.first, rows % parts == 0 else {
            throw .invalidTensorShape(path: path, key: sourcePrefix + source, shape: stored,
                                      reason: "the first axis must split into \(parts) equal parts")
        }
        let size = rows / parts
        var shape = stored
        shape[0] = size
        record(source, target, SingleFileTensorSource(checkpointKey: sourcePrefix + source,
                                                      transform: .rows((part * size)..<((part + 1) * size)), shape: shape))
    }

    /// Maps a matrix, transposed, to a component name taken as is (not under `targetPrefix`).
    mutating func mapTransposed(_ source: String, toComponentName name: String) throws(SingleFileError) {
        let stored = try shape(source, for: name)
        guard stored.count == 2 || discovering else {
            throw .invalidTensorShape(path: path, key: sourcePrefix + source, shape: stored, reason: "must be a matrix")
        }
        precondition(entries[name] == nil, "single-file mapping: '\(name)' mapped twice")
        entries[name] = SingleFileTensorSource(checkpointKey: sourcePrefix + source, transform: .transpose,
                                               shape: stored.count == 2 ? [stored[1], stored[0]] : stored)
        usedKeys.insert(sourcePrefix + source)
    }

    /// A 1×1 convolution or linear weight, presented as the component expects: `[O, I]` when `linear`,
    /// `[O, I, 1, 1]` otherwise, whichever the file stores.
    mutating func mapProjection(_ source: String, to target: String, linear: Bool) throws(SingleFileError) {
        let stored = try shape(source, for: target)
        let isConv1x1 = stored.count == 4 && stored[2] == 1 && stored[3] == 1
        if linear, isConv1x1 {
            try map(source, to: target, reshapedTo: [stored[0], stored[1]])
        } else if !linear, stored.count == 2 {
            try map(source, to: target, reshapedTo: stored + [1, 1])
        } else {
            // Either already in the wanted form or something else entirely, which the component's own
            // shape check reports with both shapes.
            try map(source, to: target)
        }
    }

    private mutating func record(_ source: String, _ target: String, _ entry: SingleFileTensorSource) {
        let name = targetPrefix + target
        precondition(entries[name] == nil, "single-file mapping: '\(name)' mapped twice")
        entries[name] = entry
        usedKeys.insert(sourcePrefix + source)
    }
}
