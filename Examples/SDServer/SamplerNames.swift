/// AUTOMATIC1111's sampler and schedule names, mapped to the SDK's schedulers (their `sd generate
/// --scheduler` names). A1111 picks a sampler (`sampler_name`) and a noise schedule (`scheduler`);
/// the SDK's schedulers are diffusers' classes, where the Karras schedule is an option of DPM++ 2M.
enum SamplerNames {
    /// One A1111 sampler the server offers.
    struct Sampler {
        /// A1111's name ("Euler a").
        let name: String
        /// Other names A1111 accepts for it.
        let aliases: [String]
        /// The SDK scheduler for the automatic schedule.
        let automatic: String
        /// The SDK scheduler for the Karras schedule, where there is one.
        let karras: String?
    }

    /// Every sampler, in A1111's order.
    static let samplers: [Sampler] = [
        Sampler(name: "DPM++ 2M", aliases: ["k_dpmpp_2m"], automatic: "dpm++2m", karras: "dpm++2m-karras"),
        Sampler(name: "Euler a", aliases: ["k_euler_a", "k_euler_ancestral"], automatic: "euler-a", karras: nil),
        Sampler(name: "Euler", aliases: ["k_euler"], automatic: "euler", karras: nil),
        Sampler(name: "LMS", aliases: ["k_lms"], automatic: "lms", karras: nil),
        Sampler(name: "Heun", aliases: ["k_heun"], automatic: "heun", karras: nil),
        Sampler(name: "DDIM", aliases: ["ddim"], automatic: "ddim", karras: nil),
        Sampler(name: "PLMS", aliases: ["plms"], automatic: "pndm", karras: nil),
        Sampler(name: "UniPC", aliases: ["unipc"], automatic: "unipc", karras: nil),
        Sampler(name: "LCM", aliases: ["k_lcm"], automatic: "lcm", karras: nil),
        // Not in A1111; diffusers' DDPMScheduler, named as the SDK writes it into PNGs.
        Sampler(name: "DDPM", aliases: ["ddpm"], automatic: "ddpm", karras: nil),
    ]

    /// A1111's schedule names (`name`, `label`) that the server understands; the others A1111 knows
    /// (uniform, exponential, sgm_uniform, …) are refused with a message.
    static let schedules: [(name: String, label: String)] = [("automatic", "Automatic"), ("karras", "Karras")]

    /// A1111's default when a request names no sampler (`sampler_index` defaults to "Euler").
    static let defaultSampler = "Euler"

    /// The SDK scheduler name for an A1111 sampler and schedule. Names match case-insensitively, by
    /// name or alias; an old-style combined name ("DPM++ 2M Karras") carries its schedule.
    ///
    /// - Throws: ``APIError`` (422) for an unknown sampler or a schedule the sampler lacks here.
    static func schedulerName(sampler: String?, schedule: String?) throws(APIError) -> (cli: String, sampler: String, schedule: String) {
        var samplerText = (sampler?.isEmpty ?? true) ? defaultSampler : sampler!
        var scheduleText = schedule.flatMap { $0.isEmpty ? nil : $0 }
        if find(samplerText) == nil {
            for (name, label) in schedules where samplerText.lowercased().hasSuffix(" " + label.lowercased()) {
                samplerText = String(samplerText.dropLast(label.count + 1))
                if scheduleText == nil { scheduleText = name }
            }
        }
        guard let found = find(samplerText) else {
            throw .unprocessable("sampler_name '\(samplerText)' is not available; available: "
                                 + samplers.map(\.name).joined(separator: ", "))
        }
        switch scheduleText?.lowercased() {
        case nil, "automatic":
            return (found.automatic, found.name, "Automatic")
        case "karras":
            guard let karras = found.karras else {
                throw .unprocessable("scheduler 'Karras' is not available with sampler '\(found.name)' (only with DPM++ 2M)")
            }
            return (karras, found.name, "Karras")
        default:
            throw .unprocessable("scheduler '\(scheduleText!)' is not available; available: Automatic, Karras (DPM++ 2M only)")
        }
    }

    private static func find(_ text: String) -> Sampler? {
        let key = text.lowercased()
        return samplers.first { $0.name.lowercased() == key || $0.aliases.contains(key) }
    }
}
