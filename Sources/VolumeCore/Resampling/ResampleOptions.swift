// Options for `Volume.resampled(...)`: interpolation kind, nnU-Net's "separate z" rule, limits.
//
// The separate-z rule follows nnU-Net v2 `determine_do_sep_z_and_axis` (preprocessing/resampling/
// default_resampling.py, ANISO_THRESHOLD = 3): when max(spacing)/min(spacing) > threshold for the current
// spacing (else for the target spacing), the axis whose spacing equals the maximum is resampled on its own
// with nearest neighbour, after a 2-D in-plane resampling of every slice; when two or three axes share the
// maximum there is no separate axis.

/// How voxel values between grid points are reconstructed.
public enum Interpolation: Sendable, Hashable, CaseIterable {
    /// Nearest neighbour, `index = floor(x + 0.5)` clamped (scipy `map_coordinates(order=0, mode='nearest')`).
    case nearest
    /// Linear per axis (skimage `resize(order=1, mode='edge', anti_aliasing=False)`): no prefilter.
    case linear
    /// Cubic B-spline with exact interpolating prefilter (skimage `resize(order=3, mode='edge',
    /// anti_aliasing=False)` = scipy `ndimage.zoom(grid_mode=True, mode='nearest')`).
    case cubicBSpline
}

/// When to resample one axis separately (nnU-Net's "separate z" for anisotropic images).
public enum SeparateZPolicy: Sendable, Hashable {
    /// Always resample all axes together.
    case never
    /// nnU-Net's automatic rule: anisotropy ratio `max/min > threshold` of the current spacing, else of the
    /// target spacing; the axis is the one holding the maximum spacing, none when the maximum is shared.
    case nnUNet(threshold: Double)
    /// Always treat this index axis (0 = i/x, 1 = j/y, 2 = k/z, the order of `spacing`) separately.
    case axis(Int)

    /// nnU-Net's default (`ANISO_THRESHOLD = 3`).
    public static let nnUNetDefault = SeparateZPolicy.nnUNet(threshold: 3)

    /// The index axis (0 = x, 1 = y, 2 = z) to resample separately, or `nil` for joint resampling.
    ///
    /// Spacings are in mm, (x, y, z) order. Mirrors `determine_do_sep_z_and_axis(force_separate_z=None, ...)`,
    /// including its exact-equality test `max(spacing) / spacing == 1` for the low-resolution axis.
    public func separateAxis(currentSpacing: SIMD3<Double>, targetSpacing: SIMD3<Double>) -> Int? {
        switch self {
        case .never:
            return nil
        case .axis(let axis):
            return axis
        case .nnUNet(let threshold):
            if Self.anisotropy(currentSpacing) > threshold { return Self.lowResolutionAxis(currentSpacing) }
            if Self.anisotropy(targetSpacing) > threshold { return Self.lowResolutionAxis(targetSpacing) }
            return nil
        }
    }

    private static func anisotropy(_ spacing: SIMD3<Double>) -> Double { spacing.max() / spacing.min() }

    /// The single axis whose spacing is the maximum (`get_lowres_axis`), `nil` when 2 or 3 axes share it.
    private static func lowResolutionAxis(_ spacing: SIMD3<Double>) -> Int? {
        let largest = spacing.max()
        let axes = (0..<3).filter { largest / spacing[$0] == 1 }
        return axes.count == 1 ? axes[0] : nil
    }
}

/// Settings of a resampling: interpolation, separate-axis policy, clipping and size limit.
public struct ResampleOptions: Sendable, Hashable {
    /// Interpolation in the (in-plane) joint resampling.
    public var interpolation: Interpolation
    /// When to resample one (low-resolution) axis separately with nearest neighbour.
    public var separateZ: SeparateZPolicy
    /// Clip linear/cubic output to the input's [min, max] (skimage `clip=True`); with a separate axis the
    /// range is that of each input slice, as in nnU-Net. NaN voxels are ignored for the range.
    public var clipToInputRange: Bool
    /// Largest accepted output voxel count (guards against absurd targets); default 2^32.
    public var maximumVoxelCount: Int

    public init(
        interpolation: Interpolation = .cubicBSpline, separateZ: SeparateZPolicy = .never,
        clipToInputRange: Bool = true, maximumVoxelCount: Int = 1 << 32
    ) {
        self.interpolation = interpolation
        self.separateZ = separateZ
        self.clipToInputRange = clipToInputRange
        self.maximumVoxelCount = maximumVoxelCount
    }

    /// nnU-Net's image resampling (`resampling_fn_data`: order 3, order_z 0, separate z by the default rule).
    public static let nnUNetData = ResampleOptions(interpolation: .cubicBSpline, separateZ: .nnUNetDefault)
    /// nnU-Net's export resampling of logits/probabilities (`resampling_fn_probabilities`: order 1, order_z 0).
    public static let nnUNetProbabilities = ResampleOptions(interpolation: .linear, separateZ: .nnUNetDefault)
}
