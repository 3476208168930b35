import Foundation

/// The lumbar spine: its course and the painted vertebrae, discs, arches and canal.
struct SpineLayout {
    /// y of the vertebral body centres at z = 0 (mm); the column curves forward (lordosis) lower down.
    var centreY: Double
    /// Semi-axes of a vertebral body (x, y) in mm.
    var bodySemi: SIMD2<Double>
    var objects: [SceneObject]

    /// y of the vertebral body centre at height z.
    func y(atZ z: Double) -> Double {
        let t = (z + 90) / 150
        return centreY + 8 * (t * t - 0.36)
    }

    /// y of the anterior surface of the vertebral bodies at height z.
    func front(atZ z: Double) -> Double { y(atZ: z) - bodySemi.y }

    /// y of the spinal canal's centre at height z.
    func canalY(atZ z: Double) -> Double { y(atZ: z) + bodySemi.y + 9 }
}

/// Paired muscles along the spine; `psoas` is kept to route the ureters in front of it.
struct MuscleLayout {
    /// Control points of the left psoas (x > 0), (x, y, z) with radius; mirror x for the right.
    var psoas: [(point: SIMD3<Double>, radius: Double)]
    var objects: [SceneObject]

    /// Centre (mirrored to `side`) and radius of the psoas at height z, linearly interpolated.
    func psoas(side: KidneySide, z: Double) -> (centre: SIMD3<Double>, radius: Double) {
        var below = psoas[psoas.count - 1]
        var above = psoas[0]
        for n in 0..<(psoas.count - 1) where psoas[n].point.z >= z && psoas[n + 1].point.z <= z {
            above = psoas[n]
            below = psoas[n + 1]
        }
        let span = above.point.z - below.point.z
        let t = span > 0 ? min(max((above.point.z - z) / span, 0), 1) : 0
        var centre = above.point + t * (below.point - above.point)
        centre.x *= side.sign
        return (centre, above.radius + t * (below.radius - above.radius))
    }
}

extension AnatomyBuilder {
    mutating func spine(torso: BodyCrossSection) -> SpineLayout {
        var layout = SpineLayout(
            centreY: torso.posterior - u(80, 90), bodySemi: SIMD2(u(20, 24), u(15, 18)), objects: [])
        let height = u(32, 36)
        let disc = u(8, 10)
        let start = u(0, height)
        let bone = (height - disc) / 2
        var bodies: [SceneObject] = []
        var arches: [SceneObject] = []
        var canals: [SceneObject] = []
        for level in -9...9 {
            let z = start + Double(level) * height
            let widen = 1 - z / 1000
            let semi = SIMD2(layout.bodySemi.x * widen, layout.bodySemi.y * widen)
            let centre = SIMD2(0, layout.y(atZ: z))
            bodies.append(
                solidPrism(
                    centre: centre, semi: semi, z: (z - bone)...(z + bone),
                    fill: .shelled(shell: .boneCortex, thickness: 2, core: .boneMarrow)))
            let discZ = z + height / 2
            bodies.append(
                solidPrism(
                    centre: SIMD2(0, layout.y(atZ: discZ)), semi: semi + 1, z: (discZ - disc / 2)...(discZ + disc / 2),
                    fill: .solid(.disc)))
            let canal = layout.canalY(atZ: z)
            arches.append(
                solidPrism(
                    centre: SIMD2(0, canal), semi: SIMD2(15, 13), z: (z - bone + 2)...(z + bone - 2),
                    fill: .solid(.posteriorElement)))
            arches.append(
                tube([SIMD3(0, canal + 10, z + 2), SIMD3(0, canal + 28, z - 8)], radii: [5, 4], .posteriorElement))
            let reach = u(36, 42)
            for side in [-1.0, 1.0] {
                arches.append(
                    tube(
                        [SIMD3(side * 8, canal - 4, z + 3), SIMD3(side * reach, canal + 2, z + 3)], radii: [5, 4],
                        .posteriorElement))
            }
            canals.append(
                solidPrism(
                    centre: SIMD2(0, canal), semi: SIMD2(9, 7), z: (z - height / 2)...(z + height / 2),
                    fill: .solid(.csf)))
        }
        layout.objects = bodies + arches + canals
        return layout
    }

    mutating func muscles(spine: SpineLayout) -> MuscleLayout {
        let size = u(0.85, 1.15)
        let rx = spine.bodySemi.x
        let psoas: [(point: SIMD3<Double>, radius: Double)] = [
            (SIMD3(rx + 4, spine.y(atZ: 70) - 2, 70), 5 * size),
            (SIMD3(rx + 12, spine.y(atZ: 20) - 4, 20), 11 * size),
            (SIMD3(rx + 20, spine.y(atZ: -40) - 8, -40), 16 * size),
            (SIMD3(rx + 28, spine.y(atZ: -100) - 12, -100), 20 * size),
            (SIMD3(rx + 38, spine.y(atZ: -160) - 22, -160), 21 * size),
            (SIMD3(rx + 45, spine.y(atZ: -230) - 40, -230), 18 * size),
        ]
        let erectorX = u(26, 30)
        let erectorRadius = u(16, 20)
        let quadratusX = u(58, 66)
        var objects: [SceneObject] = []
        for side in [1.0, -1.0] {
            let mirror = SIMD3(side, 1, 1)
            objects.append(
                tube(psoas.map { $0.point * mirror }, radii: psoas.map(\.radius), .muscle, .muscleCompartment))
            let quadratus = [60.0, -20, -110].map { z in
                SIMD3(side * (quadratusX + (60 - z) * 0.08), spine.canalY(atZ: z) + 4, z)
            }
            objects.append(tube(quadratus, radii: [9, 13, 10], .muscle, .muscleCompartment))
            let erector = [300.0, 100, -100, -300].map { z in SIMD3(side * erectorX, spine.canalY(atZ: z) + 14, z) }
            objects.append(tube(erector, radii: Array(repeating: erectorRadius, count: 4), .muscle, .muscleCompartment))
        }
        return MuscleLayout(psoas: psoas, objects: objects)
    }
}

func solidPrism(
    centre: SIMD2<Double>, semi: SIMD2<Double>, z: ClosedRange<Double>, fill: SceneObject.Fill,
    label: PhantomLabel = .background
) -> SceneObject {
    SceneObject(shape: .prism(Prism(centre: centre, semi: semi, zRange: z)), fill: fill, label: label)
}

func tube(
    _ points: [SIMD3<Double>], radii: [Double], _ material: Material,
    _ confinement: SceneObject.Confinement = .none, label: PhantomLabel = .background
) -> SceneObject {
    SceneObject(
        shape: .tube(Tube(points: points, radii: radii)), fill: .solid(material), label: label,
        confinement: confinement)
}
