import Foundation

/// Unlabelled clutter: liver, spleen, stomach, colon, small bowel and bladder.
struct VisceraLayout {
    /// Hollow organs, painted first.
    var hollow: [SceneObject]
    /// Solid organs, painted over bowel.
    var solid: [SceneObject]
}

extension AnatomyBuilder {
    mutating func viscera(torso: BodyCrossSection, spine: SpineLayout) -> VisceraLayout {
        let liver = Ellipsoid(
            centre: SIMD3(-u(55, 70), -u(5, 20), u(65, 85)), semi: SIMD3(u(85, 100), u(75, 90), u(80, 95)),
            frame: axialFrame(u(-15, 0)))
        let spleen = Ellipsoid(
            centre: SIMD3(u(85, 100), u(30, 45), u(75, 95)), semi: SIMD3(u(28, 35), u(45, 55), u(45, 55)),
            frame: axialFrame(u(25, 40)))
        let stomach = Ellipsoid(
            centre: SIMD3(u(35, 55), -u(45, 65), u(90, 110)), semi: SIMD3(u(45, 55), u(30, 38), u(45, 55)))
        let stomachLevel = u(0.2, 0.5) * stomach.semi.y
        let bladder = Ellipsoid(
            centre: SIMD3(0, u(-40, -20), -u(225, 245)), semi: SIMD3(u(35, 50), u(28, 38), u(28, 38)))
        var hollow = smallBowel() + [colon(torso: torso, spine: spine)]
        hollow.append(
            SceneObject(
                shape: .ellipsoid(stomach),
                fill: .hollow(
                    wall: .bowelWall, thickness: 4, content: .gasLevel(fluid: .bowelFluid, level: stomachLevel)),
                label: .background, confinement: .cavity))
        hollow.append(
            SceneObject(
                shape: .ellipsoid(bladder), fill: .hollow(wall: .bowelWall, thickness: 3, content: .fluid(.urine)),
                label: .background, confinement: .cavity))
        let solid = [(liver, Material.liver), (spleen, .spleen)].map { organ, material in
            SceneObject(shape: .ellipsoid(organ), fill: .solid(material), label: .background, confinement: .cavity)
        }
        return VisceraLayout(hollow: hollow, solid: solid)
    }

    /// Frame rotated by `degrees` about z.
    private func axialFrame(_ degrees: Double) -> Frame {
        let a = degrees * .pi / 180
        return Frame(u: SIMD3(cos(a), sin(a), 0), v: SIMD3(-sin(a), cos(a), 0), w: SIMD3(0, 0, 1))
    }

    /// Caecum and ascending colon on the right, transverse colon in front, descending colon on the left,
    /// sigmoid and rectum: one tube of mottled stool and gas.
    private mutating func colon(torso: BodyCrossSection, spine: SpineLayout) -> SceneObject {
        let cavity = torso.halfWidth - torso.insets[BodyCrossSection.Layer.cavity.rawValue].x
        let right = -(cavity - u(25, 32))
        let left = cavity - u(25, 32)
        let size = u(0.85, 1.1)
        let points: [(SIMD3<Double>, Double)] = [
            (SIMD3(right, u(-25, -5), -120), 24), (SIMD3(right + 3, -10, -40), 20), (SIMD3(right + 10, -25, 25), 20),
            (SIMD3(-50, -u(70, 90), u(20, 35)), 22), (SIMD3(0, -u(85, 100), u(0, 20)), 22),
            (SIMD3(50, -75, 35), 20), (SIMD3(left - 5, -15, 55), 18), (SIMD3(left, u(0, 15), -20), 17),
            (SIMD3(left - 5, 5, -100), 17), (SIMD3(45, -35, -150), 16), (SIMD3(-5, -45, -175), 16),
            (SIMD3(0, spine.y(atZ: -260) + 10, -260), 18),
        ]
        let content = SceneObject.Content.mottled(cell: 5, gas: u(0.25, 0.45), salt: random.next())
        return SceneObject(
            shape: .tube(Tube(points: points.map(\.0), radii: points.map { $0.1 * size })),
            fill: .hollow(wall: .bowelWall, thickness: 2.5, content: content), label: .background,
            confinement: .cavity)
    }

    /// Small-bowel loops: random walks in the anterior lower abdomen, fluid-filled, some with a gas level.
    private mutating func smallBowel() -> [SceneObject] {
        let lower = SIMD3<Double>(-95, -105, -170)
        let upper = SIMD3<Double>(95, -5, 45)
        let count = random.integer(16, 24)
        var loops: [SceneObject] = []
        for _ in 0..<count {
            var point = SIMD3(u(-80, 80), u(-95, -20), u(-150, 30))
            var points = [point]
            for _ in 0..<7 {
                let direction = normalized(SIMD3(u(-1, 1), u(-1, 1), u(-1, 1)))
                point = pointwiseMin(pointwiseMax(point + u(22, 32) * direction, lower), upper)
                points.append(point)
            }
            let radius = u(9, 14)
            let content: SceneObject.Content =
                u(0, 1) < 0.3 ? .gasLevel(fluid: .bowelFluid, level: 0.3 * radius) : .fluid(.bowelFluid)
            loops.append(
                SceneObject(
                    shape: .tube(Tube(points: points, radii: Array(repeating: radius, count: points.count))),
                    fill: .hollow(wall: .bowelWall, thickness: 2.5, content: content), label: .background,
                    confinement: .cavity))
        }
        return loops
    }
}
