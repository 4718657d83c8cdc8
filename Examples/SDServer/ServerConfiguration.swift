/// How `sd serve` runs: where it listens, who may call it, how much work it accepts.
public struct ServerConfiguration: Sendable {
    /// Address to bind; loopback unless the operator opens it up.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (tests).
    public var port: Int = 7860
    /// Requests allowed to wait for a generation slot; more are answered 503 with `Retry-After`.
    public var maxQueue: Int = 8
    /// Generations run at the same time (each already uses every core, so 1 is usually fastest).
    public var parallel: Int = 1
    /// `user:password` pairs accepted with HTTP basic authentication (A1111's `--api-auth`); empty = open.
    public var credentials: [BasicCredentials] = []
    /// Largest `width × height` accepted.
    public var maxPixels: Int = 1024 * 1024
    /// Largest `steps` accepted.
    public var maxSteps: Int = 150
    /// Largest `batch_size × n_iter` accepted.
    public var maxImages: Int = 16
    /// Largest request body in bytes (base64 init images included).
    public var maxBodyBytes: Int = 32 * 1024 * 1024
    /// Every this many steps a preview of the current image is decoded (the family's cheap latent → RGB
    /// approximation, or TAESD when the model has one) for `/sdapi/v1/progress`'s `current_image`;
    /// nil decodes none. Previews never change the images.
    public var previewInterval: Int? = 5
    /// Where `<lora:NAME:WEIGHT>` prompt tags are looked up (`NAME.safetensors`); nil refuses prompts
    /// with such tags.
    public var loraFolder: String?
    /// Where `save_images: true` writes PNGs; nil refuses such requests. Nothing is written elsewhere.
    public var outputDirectory: String?

    /// The defaults above.
    public init() {}
}

/// One `user:password` pair.
public struct BasicCredentials: Sendable, Equatable {
    /// User name.
    public let user: String
    /// Password.
    public let password: String

    /// Parses A1111's `--api-auth` value: `user:pass`, several separated by commas.
    ///
    /// - Throws: ``APIError`` naming the malformed entry (used for the command line too).
    public static func parseList(_ text: String) throws(APIError) -> [BasicCredentials] {
        var result: [BasicCredentials] = []
        for entry in text.split(separator: ",") {
            guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                throw .unprocessable("--api-auth entry '\(entry)' is not user:password")
            }
            result.append(BasicCredentials(user: String(entry[..<colon]), password: String(entry[entry.index(after: colon)...])))
        }
        guard !result.isEmpty else { throw .unprocessable("--api-auth is empty; expected user:password") }
        return result
    }

    /// A pair.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}
