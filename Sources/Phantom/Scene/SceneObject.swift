import Foundation

/// One painted structure of the phantom: a shape, how its inside is filled, and the label it writes.
///
/// Objects are painted in scene order, later over earlier, so order is priority (see `Anatomy`).
struct SceneObject {
    enum Shape {
        case ellipsoid(Ellipsoid)
        case prism(Prism)
        case tube(Tube)
    }

    /// What fills the inside; `sample` may also leave a point unpainted (the renal sinus inside a kidney).
    enum Fill {
        /// One material throughout.
        case solid(Material)
        /// A shell of `shell` (thickness mm) around a core of `core`: vertebral bodies.
        case shelled(shell: Material, thickness: Double, core: Material)
        /// A wall (thickness mm) around content: bowel, stomach, bladder.
        case hollow(wall: Material, thickness: Double, content: Content)
        /// Renal parenchyma: cortex near the surface, medullary pyramids beneath; nothing inside the sinus.
        case kidney(KidneyTexture)
        /// A tumour: mottled enhancement with a necrotic core inside `necrosis` (fraction of the semi-axes).
        case tumor(necrosis: Double, salt: UInt64)
    }

    /// What a hollow organ holds.
    enum Content {
        case fluid(Material)
        /// Gas anterior to a level (supine patient: gas rises to low y) `level` mm in front of the axis.
        case gasLevel(fluid: Material, level: Double)
        /// Stool: cells of `cell` mm, a fraction `gas` of which are gas.
        case mottled(cell: Double, gas: Double, salt: UInt64)
    }

    /// Which region of the body an object may paint into (cut to that region's row interval).
    enum Confinement {
        case none
        /// Inside the muscle wall's outer boundary (muscles).
        case muscleCompartment
        /// Inside the abdominal cavity (organs, bowel, perirenal spaces).
        case cavity
    }

    var shape: Shape
    var fill: Fill
    var label: PhantomLabel
    var confinement: Confinement = .none

    var box: Box {
        switch shape {
        case .ellipsoid(let e): e.box
        case .prism(let p): p.box
        case .tube(let t): t.box
        }
    }

    /// Whether every point of the row interval is inside and gets the same material (no per-voxel test needed).
    var uniformMaterial: Material? {
        guard case .solid(let material) = fill else { return nil }
        switch shape {
        case .ellipsoid, .prism: return material
        case .tube: return nil
        }
    }

    /// The material at `p`, or nil when `p` is outside (or deliberately left unpainted).
    @inline(__always)
    func sample(_ p: SIMD3<Double>, active: ArraySlice<Int>) -> Material? {
        let (depth, axis) = depthAndAxis(p, active: active)
        guard depth >= 0 else { return nil }
        switch fill {
        case .solid(let material):
            return material
        case .shelled(let shell, let thickness, let core):
            return depth < thickness ? shell : core
        case .hollow(let wall, let thickness, let content):
            if depth < thickness { return wall }
            return content.material(at: p, axis: axis)
        case .kidney(let texture):
            guard case .ellipsoid(let envelope) = shape else { return nil }
            return texture.material(at: p, envelope: envelope, depth: depth)
        case .tumor(let necrosis, let salt):
            guard case .ellipsoid(let e) = shape else { return .tumor }
            let n = e.normalized(p)
            if (n * n).sum() < necrosis * necrosis { return .necrosis }
            return PhantomRandom.cellValue(p, cell: 4, salt: salt) < 0.35 ? .tumorDark : .tumor
        }
    }

    @inline(__always)
    private func depthAndAxis(_ p: SIMD3<Double>, active: ArraySlice<Int>) -> (Double, SIMD3<Double>) {
        switch shape {
        case .ellipsoid(let e):
            switch fill {
            case .solid, .tumor: return (e.contains(p) ? 1 : -1, e.centre)
            default: return (e.depth(p), e.centre)
            }
        case .prism(let prism):
            return (prism.depth(p), SIMD3(prism.centre.x, prism.centre.y, p.z))
        case .tube(let tube):
            return tube.depth(p, active: active)
        }
    }
}

extension SceneObject.Content {
    @inline(__always)
    func material(at p: SIMD3<Double>, axis: SIMD3<Double>) -> Material {
        switch self {
        case .fluid(let material):
            return material
        case .gasLevel(let fluid, let level):
            return p.y < axis.y - level ? .gas : fluid
        case .mottled(let cell, let gas, let salt):
            return PhantomRandom.cellValue(p, cell: cell, salt: salt) < gas ? .gas : .stool
        }
    }
}

/// Renal parenchyma texture: cortex `cortex` mm deep, then a band of medullary pyramids.
struct KidneyTexture {
    /// The renal sinus (fat, pelvis, hilar vessels), left unpainted by the parenchyma.
    var sinus: Ellipsoid
    var cortex: Double
    var pyramidDepth: Double
    var phase: Double

    @inline(__always)
    func material(at p: SIMD3<Double>, envelope: Ellipsoid, depth: Double) -> Material? {
        if sinus.contains(p) { return nil }
        if depth < cortex || depth > cortex + pyramidDepth { return .kidneyCortex }
        let n = envelope.normalized(p)
        // Pyramids: a lobulated pattern around the long axis (u) and along it, separated by cortical columns.
        let around = atan2(n.z, n.y)
        let pattern = cos(7 * around + phase) + cos(9.4 * n.x + phase)
        return pattern > -0.2 ? .kidneyMedulla : .kidneyCortex
    }
}
