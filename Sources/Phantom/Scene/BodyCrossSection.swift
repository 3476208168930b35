import Foundation

/// The torso's nested axial outlines: skin, subcutaneous fat, muscle wall and the abdominal cavity.
///
/// Each outline is an ellipse in front (anterior, low y) and a flatter superellipse behind, slowly varying
/// in size along z. Insets are thicknesses in mm: laterally, anteriorly and posteriorly.
struct BodyCrossSection {
    /// The layers from outside in; the material of each fills it up to the next one.
    enum Layer: Int, CaseIterable {
        case skin, subcutaneousFat, muscleWall, cavity

        var material: Material {
            switch self {
            case .skin: .skin
            case .subcutaneousFat: .subcutaneousFat
            case .muscleWall: .muscle
            case .cavity: .visceralFat
            }
        }
    }

    var centreY: Double
    /// Outer half width (x), anterior and posterior half depths (y), in mm.
    var halfWidth: Double
    var anterior: Double
    var posterior: Double
    var posteriorExponent: Double
    /// Inset of each layer from the skin surface (lateral, anterior, posterior), in mm.
    var insets: [SIMD3<Double>]
    var phase: Double

    /// Relative size of the outline at height z (a gentle waist).
    func scale(z: Double) -> Double { 1 + 0.04 * sin(z / 110 + phase) }

    /// The half width (mm) of `layer`'s outline on the row at (y, z), or nil when the row misses it.
    func halfWidth(of layer: Layer, y: Double, z: Double) -> Double? {
        let s = scale(z: z)
        let inset = insets[layer.rawValue]
        let a = (halfWidth - inset.x) * s
        let dy = y - centreY
        let b = dy < 0 ? (anterior - inset.y) * s : (posterior - inset.z) * s
        guard a > 0, b > 0 else { return nil }
        let t = abs(dy) / b
        guard t < 1 else { return nil }
        if dy < 0 { return a * (1 - t * t).squareRoot() }
        return a * pow(1 - pow(t, posteriorExponent), 1 / posteriorExponent)
    }

    /// Whether the world point `p` lies inside `layer`'s outline.
    func contains(_ p: SIMD3<Double>, in layer: Layer) -> Bool {
        guard let half = halfWidth(of: layer, y: p.y, z: p.z) else { return false }
        return abs(p.x) < half
    }

    /// The smallest anterior-and-medial shift (steps of 1.5 mm anteriorly, 0.25 mm medially; at most 60 mm
    /// anteriorly) that brings the surface of `ellipsoid` inside the abdominal cavity; `side` is +1 for an
    /// object at +x, -1 at -x.
    func inwardShift(keepingInCavity ellipsoid: Ellipsoid, side: Double) -> SIMD3<Double> {
        let surface = ellipsoid.surfaceSamples()
        var shift = SIMD3<Double>(repeating: 0)
        for _ in 0..<40 {
            if surface.allSatisfy({ contains($0 + shift, in: .cavity) }) { break }
            shift += SIMD3(-0.25 * side, -1.5, 0)
        }
        return shift
    }
}
