public import ArrayCore
public import VolumeCore

/// One generated phantom: the CT, its ground-truth label map on the same grid, and what was generated.
public struct PhantomCase: Sendable {
    /// Hounsfield units, `Int16`, clamped to −1024…3071.
    public var ct: Volume<Int16>
    /// `PhantomLabel` raw values, same geometry as `ct`.
    public var labels: Volume<UInt8>
    /// Positions of the kidneys and the tumour (world mm, LPS).
    public var anatomy: PhantomAnatomy
    /// The options that produced it.
    public var options: PhantomOptions
}

/// Generates a contrast-enhanced (portal-venous-like) abdominal CT phantom and its label map.
///
/// Geometry: identity direction (LPS), spacing `options.spacing`, origin chosen so that the grid's centre is
/// at `options.centre`. An axial slice `ct.voxels[k]` shown with row 0 at the top and column 0 at the left is
/// in radiological convention (anterior up, patient right on the viewer's left). See `PhantomLabel` for the
/// label table. Deterministic: equal options give byte-identical volumes, whatever the thread count.
/// - Throws: `PhantomError.invalidOption` when `options.validate()` fails.
public func generatePhantom(_ options: PhantomOptions = PhantomOptions()) throws(PhantomError) -> PhantomCase {
    try options.validate()
    let halfExtent =
        SIMD3<Double>(
            Double(options.size.x - 1), Double(options.size.y - 1), Double(options.size.z - 1)) * options.spacing / 2
    let geometry: VolumeGeometry
    do {
        geometry = try VolumeGeometry(spacing: options.spacing, origin: options.centre - halfExtent)
    } catch {
        throw PhantomError(.invalidOption, "spacing \(options.spacing) or centre \(options.centre)", underlying: error)
    }
    let anatomy = Anatomy(
        seed: options.seed, includesTumor: options.includesTumor, exophyticProbability: options.exophyticProbability)
    var ct = Volume(size: options.size, geometry: geometry, repeating: Int16(0))
    var labels = Volume(size: options.size, geometry: geometry, repeating: UInt8(0))
    let rasterizer = Rasterizer(
        anatomy: anatomy, geometry: geometry, size: options.size, noise: options.noise,
        noiseSalt: PhantomRandom.mix(options.seed ^ 0x5EED_0F_0A15E))
    rasterizer.render(ct: &ct, labels: &labels)
    return PhantomCase(ct: ct, labels: labels, anatomy: anatomy.summary, options: options)
}
