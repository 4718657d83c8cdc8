/// The built-in schedulers by the names the `sd` command line and the documentation use.
public enum SchedulerName: String, Sendable, CaseIterable, Codable {
    /// DDIM (``DDIMScheduler``).
    case ddim
    /// PNDM / PLMS (``PNDMScheduler``).
    case pndm
    /// Euler (``EulerDiscreteScheduler``).
    case euler
    /// Euler ancestral (``EulerAncestralDiscreteScheduler``).
    case eulerAncestral = "euler-a"
    /// LMS (``LMSDiscreteScheduler``).
    case lms
    /// Heun (``HeunDiscreteScheduler``).
    case heun
    /// DPM-Solver++ 2M (``DPMSolverMultistepScheduler`` with dpmsolver++, order 2, no Karras sigmas).
    case dpmSolver2M = "dpm++2m"
    /// DPM-Solver++ 2M Karras (``DPMSolverMultistepScheduler`` with dpmsolver++, order 2, Karras sigmas).
    case dpmSolver2MKarras = "dpm++2m-karras"
    /// DDPM (``DDPMScheduler``).
    case ddpm
    /// UniPC (``UniPCMultistepScheduler``).
    case uniPC = "unipc"
    /// LCM (``LCMScheduler``).
    case lcm

    /// Looks a scheduler up by its name.
    /// - Parameter name: One of the names, as `rawValue` spells them (`euler-a`, `dpm++2m-karras`, …).
    /// - Throws: ``SchedulerError/unknownSchedulerName(_:available:)`` listing the names.
    public init(named name: String) throws(SchedulerError) {
        guard let value = SchedulerName(rawValue: name) else {
            throw .unknownSchedulerName(name, available: SchedulerName.allCases.map(\.rawValue))
        }
        self = value
    }

    /// The diffusers class this name runs.
    public var diffusersClassName: String {
        switch self {
        case .ddim: return DDIMScheduler.Configuration.className
        case .pndm: return PNDMScheduler.Configuration.className
        case .euler: return EulerDiscreteScheduler.Configuration.className
        case .eulerAncestral: return EulerAncestralDiscreteScheduler.Configuration.className
        case .lms: return LMSDiscreteScheduler.Configuration.className
        case .heun: return HeunDiscreteScheduler.Configuration.className
        case .dpmSolver2M, .dpmSolver2MKarras: return DPMSolverMultistepScheduler.Configuration.className
        case .ddpm: return DDPMScheduler.Configuration.className
        case .uniPC: return UniPCMultistepScheduler.Configuration.className
        case .lcm: return LCMScheduler.Configuration.className
        }
    }

    /// The options the name itself sets on top of a model's configuration: the DPM-Solver++ names
    /// fix the algorithm, the order and whether sigmas are Karras-spaced; the others set nothing.
    public var options: DiffusersSchedulerConfig {
        var options = DiffusersSchedulerConfig()
        switch self {
        case .dpmSolver2M, .dpmSolver2MKarras:
            options.algorithmType = DPMSolverMultistepScheduler.Algorithm.dpmSolverPlusPlus.rawValue
            options.solverOrder = 2
            options.useKarrasSigmas = self == .dpmSolver2MKarras
        default:
            break
        }
        return options
    }

    /// Builds this scheduler from a model's scheduler configuration with diffusers' `from_config`
    /// rule: the keys this scheduler knows are taken from `config`, the others are ignored, absent
    /// ones take this scheduler's defaults, and the name's own ``options`` override.
    ///
    /// - Parameter config: The model's `scheduler_config.json` (any scheduler class), with any user
    ///   overrides already applied.
    /// - Returns: The configuration, ready to make schedulers.
    /// - Throws: ``SchedulerError`` naming a key whose value this scheduler does not support.
    public func configuration(from config: DiffusersSchedulerConfig = DiffusersSchedulerConfig()) throws(SchedulerError)
        -> any SchedulerConfiguration {
        let merged = config.overriding(with: options)
        switch self {
        case .ddim: return try DDIMScheduler.Configuration(merged)
        case .pndm: return try PNDMScheduler.Configuration(merged)
        case .euler: return try EulerDiscreteScheduler.Configuration(merged)
        case .eulerAncestral: return try EulerAncestralDiscreteScheduler.Configuration(merged)
        case .lms: return try LMSDiscreteScheduler.Configuration(merged)
        case .heun: return try HeunDiscreteScheduler.Configuration(merged)
        case .dpmSolver2M, .dpmSolver2MKarras: return try DPMSolverMultistepScheduler.Configuration(merged)
        case .ddpm: return try DDPMScheduler.Configuration(merged)
        case .uniPC: return try UniPCMultistepScheduler.Configuration(merged)
        case .lcm: return try LCMScheduler.Configuration(merged)
        }
    }
}

extension DiffusersSchedulerConfig {
    /// The diffusers scheduler classes this library implements, by `_class_name`.
    public static let supportedClassNames: [String] = [
        DDIMScheduler.Configuration.className, PNDMScheduler.Configuration.className,
        EulerDiscreteScheduler.Configuration.className, EulerAncestralDiscreteScheduler.Configuration.className,
        LMSDiscreteScheduler.Configuration.className, HeunDiscreteScheduler.Configuration.className,
        DPMSolverMultistepScheduler.Configuration.className, DDPMScheduler.Configuration.className,
        UniPCMultistepScheduler.Configuration.className, LCMScheduler.Configuration.className,
    ]

    /// The scheduler this configuration names in `_class_name`, with every key it sets: what a
    /// model uses when no scheduler is chosen.
    ///
    /// - Returns: The configuration of the model's own scheduler.
    /// - Throws: ``SchedulerError/missingClassName`` without a `_class_name`,
    ///   ``SchedulerError/unknownSchedulerClass(_:supported:)`` for a class this library does not
    ///   implement, or an error naming an unsupported option.
    public func modelConfiguration() throws(SchedulerError) -> any SchedulerConfiguration {
        guard let className else { throw .missingClassName }
        switch className {
        case DDIMScheduler.Configuration.className: return try DDIMScheduler.Configuration(self)
        case PNDMScheduler.Configuration.className: return try PNDMScheduler.Configuration(self)
        case EulerDiscreteScheduler.Configuration.className: return try EulerDiscreteScheduler.Configuration(self)
        case EulerAncestralDiscreteScheduler.Configuration.className: return try EulerAncestralDiscreteScheduler.Configuration(self)
        case LMSDiscreteScheduler.Configuration.className: return try LMSDiscreteScheduler.Configuration(self)
        case HeunDiscreteScheduler.Configuration.className: return try HeunDiscreteScheduler.Configuration(self)
        case DPMSolverMultistepScheduler.Configuration.className: return try DPMSolverMultistepScheduler.Configuration(self)
        case DDPMScheduler.Configuration.className: return try DDPMScheduler.Configuration(self)
        case UniPCMultistepScheduler.Configuration.className: return try UniPCMultistepScheduler.Configuration(self)
        case LCMScheduler.Configuration.className: return try LCMScheduler.Configuration(self)
        default: throw .unknownSchedulerClass(className, supported: Self.supportedClassNames)
        }
    }

    /// The scheduler to use: the one `name` names (see ``SchedulerName``), or the model's own when
    /// `name` is nil.
    ///
    /// - Parameter name: A scheduler name (`ddim`, `euler-a`, `dpm++2m-karras`, …) or nil.
    /// - Returns: The configuration, ready to make schedulers.
    /// - Throws: ``SchedulerError`` for an unknown name or class, or an unsupported option.
    public func configuration(named name: String?) throws(SchedulerError) -> any SchedulerConfiguration {
        guard let name else { return try modelConfiguration() }
        return try SchedulerName(named: name).configuration(from: self)
    }
}
