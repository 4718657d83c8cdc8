/// The structure of a Stable Diffusion model that decides how a single-file checkpoint's keys map to
/// the diffusers / transformers names: block counts and kinds, layers per block, transformer depth,
/// projection kind, text-encoder depth. Shapes are not part of it: they come from the file.
///
/// Use a preset (``sd15``, ``sd21``) for the published models, or read a diffusers folder's
/// `unet/config.json`, `vae/config.json` and `text_encoder/config.json` with
/// ``init(diffusersFolder:)`` (diffusers' `from_single_file(…, config=folder)`).
public struct SingleFileLayout: Sendable, Equatable {
    /// Whether a UNet block has cross-attention transformers.
    public enum BlockKind: Sendable, Equatable {
        /// `DownBlock2D` / `UpBlock2D`: resnets only.
        case plain
        /// `CrossAttnDownBlock2D` / `CrossAttnUpBlock2D`: a `Transformer2DModel` after each resnet.
        case crossAttention
    }

    /// The UNet's structure (`UNet2DConditionModel` with a `UNetMidBlock2DCrossAttn` mid block).
    public struct UNetLayout: Sendable, Equatable {
        /// The down blocks in order (`down_block_types`).
        public var downBlocks: [BlockKind]
        /// The up blocks in order (`up_block_types`); as many as down blocks.
        public var upBlocks: [BlockKind]
        /// Resnets per down block (`layers_per_block`); up blocks have one more.
        public var layersPerBlock: Int
        /// Transformer blocks per attention, one entry per down block
        /// (`transformer_layers_per_block`); the mid block uses the last entry, the up blocks the
        /// entries in reverse.
        public var transformerLayersPerBlock: [Int]
        /// Whether `proj_in` / `proj_out` are linear layers (`use_linear_projection`, SD 2.x) rather
        /// than 1×1 convolutions (SD 1.x). Checkpoint tensors are reshaped to whichever this says.
        public var useLinearProjection: Bool
        /// Whether the UNet has SDXL's `add_embedding` (`addition_embed_type` `text_time`), LDM's `label_emb.0`.
        public var textTimeEmbedding: Bool

        /// Creates a UNet layout.
        ///
        /// - Precondition: as many up as down blocks, one transformer depth per down block, at least
        ///   one block and one layer.
        public init(downBlocks: [BlockKind], upBlocks: [BlockKind], layersPerBlock: Int,
                    transformerLayersPerBlock: [Int], useLinearProjection: Bool, textTimeEmbedding: Bool = false) {
            precondition(!downBlocks.isEmpty && downBlocks.count == upBlocks.count, "UNetLayout: block counts differ")
            precondition(transformerLayersPerBlock.count == downBlocks.count, "UNetLayout: one transformer depth per block")
            precondition(layersPerBlock > 0 && transformerLayersPerBlock.allSatisfy { $0 > 0 }, "UNetLayout: counts must be positive")
            self.downBlocks = downBlocks
            self.upBlocks = upBlocks
            self.layersPerBlock = layersPerBlock
            self.transformerLayersPerBlock = transformerLayersPerBlock
            self.useLinearProjection = useLinearProjection
            self.textTimeEmbedding = textTimeEmbedding
        }
    }

    /// The VAE's structure (`AutoencoderKL`).
    public struct VAELayout: Sendable, Equatable {
        /// Encoder down blocks = decoder up blocks (`len(block_out_channels)`).
        public var blockCount: Int
        /// Resnets per encoder block (`layers_per_block`); decoder blocks have one more.
        public var layersPerBlock: Int
        /// Whether the mid blocks have self-attention (`mid_block_add_attention`, default true).
        public var midBlockHasAttention: Bool

        /// Creates a VAE layout.
        ///
        /// - Precondition: positive counts.
        public init(blockCount: Int, layersPerBlock: Int, midBlockHasAttention: Bool = true) {
            precondition(blockCount > 0 && layersPerBlock > 0, "VAELayout: counts must be positive")
            self.blockCount = blockCount
            self.layersPerBlock = layersPerBlock
            self.midBlockHasAttention = midBlockHasAttention
        }
    }

    /// The text encoder's structure (`CLIPTextModel`).
    public struct TextEncoderLayout: Sendable, Equatable {
        /// Transformer layers the model runs (`num_hidden_layers`). An SD 2.x file holds OpenCLIP's
        /// full stack, one layer more: SD 2 conditions on the penultimate layer, so diffusers' model has
        /// 23 of OpenCLIP's 24 and the last one in the file is ignored.
        public var layerCount: Int

        /// Creates a text-encoder layout.
        ///
        /// - Precondition: `layerCount > 0`.
        public init(layerCount: Int) {
            precondition(layerCount > 0, "TextEncoderLayout: layerCount must be positive")
            self.layerCount = layerCount
        }
    }

    /// The UNet.
    public var unet: UNetLayout
    /// The VAE.
    public var vae: VAELayout
    /// The text encoder (SDXL base: CLIP ViT-L; the SDXL refiner: its only one, OpenCLIP ViT-bigG).
    public var textEncoder: TextEncoderLayout
    /// SDXL base's second text encoder (OpenCLIP ViT-bigG); nil for the other families.
    public var textEncoder2: TextEncoderLayout?

    /// Creates a layout from its parts.
    public init(unet: UNetLayout, vae: VAELayout, textEncoder: TextEncoderLayout, textEncoder2: TextEncoderLayout? = nil) {
        self.unet = unet
        self.vae = vae
        self.textEncoder = textEncoder
        self.textEncoder2 = textEncoder2
    }

    /// Stable Diffusion 1.5 as published (`stable-diffusion-v1-5/stable-diffusion-v1-5`), derived from
    /// the components' `.sd15` configurations: four UNet blocks (three with cross-attention), two
    /// layers each, one transformer block, convolutional projections; four VAE blocks of two layers;
    /// CLIP ViT-L/14 with 12 layers.
    public static let sd15 = SingleFileLayout(derivedFrom: .sd15, vae: .sd15, textEncoder: .sd15)

    /// Stable Diffusion 2.1 as published (`stabilityai/stable-diffusion-2-1`, and 2.0 / 2.1-base /
    /// SD-Turbo, which share the structure), derived from the components' `.sd21` configurations: the
    /// SD 1.5 block structure with linear projections, and OpenCLIP ViT-H/14's first 23 layers.
    public static let sd21 = SingleFileLayout(derivedFrom: .sd21, vae: .sd21, textEncoder: .sd21)

    /// SDXL base 1.0 as published (`stabilityai/stable-diffusion-xl-base-1.0`): three UNet levels (the first
    /// without attention), transformer depths 1, 2, 10, linear projections, `text_time` embedding; the SD VAE
    /// structure; CLIP ViT-L (12 layers) and OpenCLIP ViT-bigG (32 layers) with its projection.
    public static let sdxl = SingleFileLayout(derivedFrom: .sdxl, vae: .sd15, textEncoder: .sd15, textEncoder2: .sdxlEncoder2)

    /// The SDXL refiner 1.0 as published (`stabilityai/stable-diffusion-xl-refiner-1.0`): four UNet levels,
    /// the outer two without attention, depth 4; OpenCLIP ViT-bigG alone.
    public static let sdxlRefiner = SingleFileLayout(derivedFrom: PublishedXLConfigurations.refinerUNet, vae: .sd15,
                                                     textEncoder: .sdxlEncoder2)

    /// The published layout of a family: ``sd15`` for SD 1.x, ``sd21`` for SD 2.x, ``sdxl`` and ``sdxlRefiner``.
    public static func preset(for family: SingleFileFamily) -> SingleFileLayout {
        switch family {
        case .stableDiffusion1: return .sd15
        case .stableDiffusion2: return .sd21
        case .stableDiffusionXL: return .sdxl
        case .stableDiffusionXLRefiner: return .sdxlRefiner
        }
    }
}
