// Design: nnU-Net's per-channel intensity normalisations (preprocessing/normalization/
// default_normalization_schemes.py; research §3.4), in float32 exactly as numpy evaluates them:
// - CTNormalization: clip to [percentile_00_5, percentile_99_5], subtract mean, divide by max(std, 1e-8), every
//   constant rounded to float32 first (numpy 2 treats Python floats as weak scalars). `use_mask_for_norm` ignored.
// - ZScoreNormalization: mean and population std in float32 with numpy's pairwise summation (sum / count in
//   float32; std = sqrt(mean((x − mean)²))), over the hole-filled non-zero mask when `use_mask_for_norm`
//   (voxels outside untouched), else over the whole channel.
// - NoNormalization (cast only), RescaleTo01Normalization (x − min, / max(max, 1e-8)), RGBTo01Normalization (/255,
//   values must lie in 0...255).

/// One channel's normalisation, decoded from plans.json's scheme name.
public enum NormalizationScheme: Sendable, Equatable {
    case ct(Plans.IntensityProperties)
    case zScore(useMask: Bool)
    case none
    case rescaleTo01
    case rgbTo01

    /// The scheme of channel `channel` of a configuration.
    /// - Throws: `NNUNetError.unsupportedArchitecture` for an unknown scheme name, `.invalidJSON` when
    ///   CTNormalization lacks the channel's intensity properties.
    public init(configuration: ConfigurationPlan, plans: Plans, channel: Int) throws(NNUNetError) {
        guard channel < configuration.normalizationSchemes.count else {
            throw NNUNetError(
                .invalidInput,
                "configuration \(configuration.name) lists \(configuration.normalizationSchemes.count) normalization "
                    + "schemes, the image has channel \(channel)")
        }
        let name = configuration.normalizationSchemes[channel]
        let useMask = channel < configuration.useMaskForNorm.count ? configuration.useMaskForNorm[channel] : false
        switch name {
        case "CTNormalization":
            guard let properties = plans.foregroundIntensityProperties[channel] else {
                throw NNUNetError(
                    .invalidJSON,
                    "plans.json has no foreground_intensity_properties_per_channel[\"\(channel)\"] for CTNormalization")
            }
            self = .ct(properties)
        case "ZScoreNormalization": self = .zScore(useMask: useMask)
        case "NoNormalization": self = .none
        case "RescaleTo01Normalization": self = .rescaleTo01
        case "RGBTo01Normalization": self = .rgbTo01
        default:
            throw NNUNetError(
                .unsupportedArchitecture,
                "normalization scheme \"\(name)\" of channel \(channel) is not implemented (known: CTNormalization, "
                    + "ZScoreNormalization, NoNormalization, RescaleTo01Normalization, RGBTo01Normalization)")
        }
    }

    /// Whether `apply` needs the non-zero mask.
    public var needsMask: Bool { self == .zScore(useMask: true) }

    /// Normalises one channel in place. `mask` (the hole-filled non-zero mask, same layout) is read only by
    /// z-score with `useMask`.
    /// - Throws: `NNUNetError.invalidInput` for RGBTo01Normalization on values outside 0...255.
    public func apply(_ values: inout [Float], mask: [Bool]?) throws(NNUNetError) {
        switch self {
        case .ct(let properties):
            let low = Float(properties.percentile00_5), high = Float(properties.percentile99_5)
            let mean = Float(properties.mean), std = Float(max(properties.std, 1e-8))
            for index in values.indices {
                // numpy's clip: max then min (NaN propagates).
                let clipped = Swift.min(Swift.max(values[index], low), high)
                values[index] = (clipped - mean) / std
            }
        case .zScore(let useMask):
            if useMask, let mask {
                var inside = [Float]()
                for index in values.indices where mask[index] { inside.append(values[index]) }
                let (mean, std) = Self.meanAndStd(inside)
                let divisor = Swift.max(std, Float(1e-8))
                for index in values.indices where mask[index] { values[index] = (values[index] - mean) / divisor }
            } else {
                let (mean, std) = Self.meanAndStd(values)
                let divisor = Swift.max(std, Float(1e-8))
                for index in values.indices { values[index] = (values[index] - mean) / divisor }
            }
        case .none:
            break
        case .rescaleTo01:
            guard let minimum = values.min() else { return }
            for index in values.indices { values[index] -= minimum }
            let divisor = Swift.max(values.max() ?? 0, Float(1e-8))
            for index in values.indices { values[index] /= divisor }
        case .rgbTo01:
            if let bad = values.first(where: { !($0 >= 0 && $0 <= 255) }) {
                throw NNUNetError(.invalidInput, "RGBTo01Normalization needs values in 0...255, found \(bad)")
            }
            for index in values.indices { values[index] /= 255 }
        }
    }

    /// numpy's float32 `mean()` and `std()`: pairwise float32 sums, divided by the count as float32.
    static func meanAndStd(_ values: [Float]) -> (mean: Float, std: Float) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let count = Float(values.count)
        let mean = pairwiseSum(values[...]) / count
        let squares = values.map { ($0 - mean) * ($0 - mean) }
        return (mean, (pairwiseSum(squares[...]) / count).squareRoot())
    }
}
