/// The architecture of a ``UNet2DConditionModel``, decoded from a diffusers `unet/config.json`.
///
/// Covers what SD 1.x, 2.x and SDXL use: positional (sinusoidal) timestep embedding, `CrossAttnDownBlock2D` /
/// `DownBlock2D` down blocks, the `UNetMidBlock2DCrossAttn` mid block, `UpBlock2D` /
/// `CrossAttnUpBlock2D` up blocks, and SDXL's `text_time` additional embedding (pooled text embedding
/// and micro-conditioning time ids). Decoding rejects, with ``UNetError/unsupportedConfiguration(key:value:reason:)``,
/// the diffusers options that would change the computation and that this implementation lacks
/// (class embeddings, other additional embeddings, dual or cross-only attention, other block types, scale-shift
/// time embedding, …). Keys that only affect block types it rejects anyway (`resnet_skip_time_act`,
/// `resnet_out_scale_factor`, `cross_attention_norm`, …) and `dropout` (identity at inference) are
/// accepted and have no effect, as in diffusers.
///
/// Per-block values (`attention_head_dim`, `layers_per_block`, `transformer_layers_per_block`) may be
/// an integer or a list in the JSON; they are stored one entry per down block.
public struct UNetConfiguration: Sendable, Equatable {
    /// The down block kinds SD 1.x/2.x use.
    public enum DownBlockType: String, Sendable, CaseIterable {
        /// Resnets, each followed by a `Transformer2DModel`, then a stride-2 downsample.
        case crossAttention = "CrossAttnDownBlock2D"
        /// Resnets, then a stride-2 downsample.
        case resnet = "DownBlock2D"
    }

    /// The up block kinds SD 1.x/2.x use.
    public enum UpBlockType: String, Sendable, CaseIterable {
        /// Resnets on the concatenated skip, each followed by a `Transformer2DModel`, then an upsample.
        case crossAttention = "CrossAttnUpBlock2D"
        /// Resnets on the concatenated skip, then an upsample.
        case resnet = "UpBlock2D"
    }

    /// The additional embeddings diffusers can add to the time embedding (`addition_embed_type`).
    public enum AdditionEmbedType: String, Sendable, CaseIterable {
        /// SDXL's: each time id through the sinusoidal embedding (`add_time_proj`), concatenated after the
        /// pooled text embedding, through `add_embedding` (`linear_1 → SiLU → linear_2`).
        case textTime = "text_time"
    }

    /// Latent side the model was trained at (`sample_size`; 64 for 512-pixel models), if given.
    public var sampleSize: Int?
    /// Latent channels in (`in_channels`).
    public var inChannels: Int
    /// Channels of the prediction (`out_channels`).
    public var outChannels: Int
    /// Whether the input is mapped by `2x − 1` first (`center_input_sample`).
    public var centerInputSample: Bool
    /// Order of the sinusoidal embedding: `cos, sin` when true (`flip_sin_to_cos`).
    public var flipSinToCos: Bool
    /// Frequency shift of the sinusoidal embedding (`freq_shift`).
    public var freqShift: Double
    /// One entry per resolution level, finest first (`down_block_types`).
    public var downBlockTypes: [DownBlockType]
    /// One entry per resolution level, coarsest first (`up_block_types`).
    public var upBlockTypes: [UpBlockType]
    /// Channels per level, finest first (`block_out_channels`).
    public var blockOutChannels: [Int]
    /// Resnets per down block (`layers_per_block`); up blocks have one more.
    public var layersPerBlock: [Int]
    /// Transformer blocks inside each `Transformer2DModel`, per level (`transformer_layers_per_block`).
    public var transformerLayersPerBlock: [Int]
    /// Padding of the stride-2 downsampling convolutions (`downsample_padding`; 0 pads right and bottom only).
    public var downsamplePadding: Int
    /// Group-norm groups (`norm_num_groups`).
    public var normNumGroups: Int
    /// Group-norm epsilon of resnets and the output norm (`norm_eps`).
    public var normEpsilon: Float
    /// Width of the text embeddings cross-attention reads (`cross_attention_dim`).
    public var crossAttentionDim: Int
    /// Attention heads per level (`attention_head_dim`: diffusers' historical name for the head
    /// *count* when `num_attention_heads` is absent, which SD 1.x/2.x configs always are).
    public var attentionHeads: [Int]
    /// Whether `Transformer2DModel`'s `proj_in`/`proj_out` are linear layers (true, SD 2.x) or 1×1
    /// convolutions (`use_linear_projection`).
    public var useLinearProjection: Bool
    /// `upcast_attention`: computing attention in float32 for half-precision runs. Accepted; this
    /// implementation always computes in float32.
    public var upcastAttention: Bool
    /// Width of the time embedding (`time_embedding_dim`); nil means `4 · blockOutChannels[0]`.
    public var timeEmbeddingDim: Int?
    /// Kernel side of `conv_in` (`conv_in_kernel`).
    public var convInKernel: Int
    /// Kernel side of `conv_out` (`conv_out_kernel`).
    public var convOutKernel: Int
    /// The additional embedding added to the time embedding (`addition_embed_type`); nil for SD 1.x/2.x.
    public var additionEmbedType: AdditionEmbedType?
    /// Width of the sinusoidal embedding of each time id (`addition_time_embed_dim`; 256 in SDXL).
    public var additionTimeEmbedDim: Int?
    /// Input width of `add_embedding`: the pooled text embedding's width plus one
    /// ``additionTimeEmbedDim`` per time id (`projection_class_embeddings_input_dim`; 2816 = 1280 + 6 · 256
    /// in SDXL base, 2560 = 1280 + 5 · 256 in the refiner).
    public var projectionClassEmbeddingsInputDim: Int?

    /// Creates a configuration; every parameter defaults to diffusers' `UNet2DConditionModel` default.
    /// Per-block arrays need one entry per level. Call ``validate()`` (model initialisers do) to check it.
    public init(sampleSize: Int? = nil, inChannels: Int = 4, outChannels: Int = 4, centerInputSample: Bool = false,
                flipSinToCos: Bool = true, freqShift: Double = 0,
                downBlockTypes: [DownBlockType] = [.crossAttention, .crossAttention, .crossAttention, .resnet],
                upBlockTypes: [UpBlockType] = [.resnet, .crossAttention, .crossAttention, .crossAttention],
                blockOutChannels: [Int] = [320, 640, 1280, 1280], layersPerBlock: [Int] = [2, 2, 2, 2],
                transformerLayersPerBlock: [Int] = [1, 1, 1, 1], downsamplePadding: Int = 1,
                normNumGroups: Int = 32, normEpsilon: Float = 1e-5, crossAttentionDim: Int = 1280,
                attentionHeads: [Int] = [8, 8, 8, 8], useLinearProjection: Bool = false,
                upcastAttention: Bool = false, timeEmbeddingDim: Int? = nil,
                convInKernel: Int = 3, convOutKernel: Int = 3, additionEmbedType: AdditionEmbedType? = nil,
                additionTimeEmbedDim: Int? = nil, projectionClassEmbeddingsInputDim: Int? = nil) {
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.centerInputSample = centerInputSample
        self.flipSinToCos = flipSinToCos
        self.freqShift = freqShift
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.transformerLayersPerBlock = transformerLayersPerBlock
        self.downsamplePadding = downsamplePadding
        self.normNumGroups = normNumGroups
        self.normEpsilon = normEpsilon
        self.crossAttentionDim = crossAttentionDim
        self.attentionHeads = attentionHeads
        self.useLinearProjection = useLinearProjection
        self.upcastAttention = upcastAttention
        self.timeEmbeddingDim = timeEmbeddingDim
        self.convInKernel = convInKernel
        self.convOutKernel = convOutKernel
        self.additionEmbedType = additionEmbedType
        self.additionTimeEmbedDim = additionTimeEmbedDim
        self.projectionClassEmbeddingsInputDim = projectionClassEmbeddingsInputDim
    }

    /// Stable Diffusion 1.5 (`stable-diffusion-v1-5/stable-diffusion-v1-5`, `unet/config.json`):
    /// 8 heads everywhere, cross-attention width 768, 1×1-convolution projections.
    public static let sd15 = UNetConfiguration(sampleSize: 64, crossAttentionDim: 768, attentionHeads: [8, 8, 8, 8])

    /// Stable Diffusion 2.1 768 (`stabilityai/stable-diffusion-2-1`, `unet/config.json`): 64 channels
    /// per head (`attention_head_dim` [5, 10, 20, 20]), cross-attention width 1024, linear
    /// projections, `upcast_attention`.
    public static let sd21 = UNetConfiguration(sampleSize: 96, crossAttentionDim: 1024, attentionHeads: [5, 10, 20, 20],
                                               useLinearProjection: true, upcastAttention: true)

    /// Stable Diffusion XL base 1.0 (`stabilityai/stable-diffusion-xl-base-1.0`, `unet/config.json`): three
    /// levels, the first without attention, transformer depths 1, 2, 10, 64 channels per head
    /// (`attention_head_dim` [5, 10, 20]), cross-attention width 2048 (768 + 1280), linear projections,
    /// `text_time` additional embedding of a 1280-wide pooled embedding and six 256-wide time ids.
    public static let sdxl = UNetConfiguration(
        sampleSize: 128, downBlockTypes: [.resnet, .crossAttention, .crossAttention],
        upBlockTypes: [.crossAttention, .crossAttention, .resnet], blockOutChannels: [320, 640, 1280],
        layersPerBlock: [2, 2, 2], transformerLayersPerBlock: [1, 2, 10], crossAttentionDim: 2048,
        attentionHeads: [5, 10, 20], useLinearProjection: true, additionEmbedType: .textTime,
        additionTimeEmbedDim: 256, projectionClassEmbeddingsInputDim: 2816)

    /// Number of resolution levels.
    public var levels: Int { blockOutChannels.count }

    /// Width of the time embedding the resnets receive.
    public var timeEmbeddingChannels: Int { timeEmbeddingDim ?? (blockOutChannels.first ?? 0) * 4 }
}
