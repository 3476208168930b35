import Foundation

/// Aorta, IVC, iliac and renal vessels.
struct VesselLayout {
    var arteries: [SceneObject]
    var veins: [SceneObject]
    /// The common iliac artery's control point where each ureter crosses in front of it.
    var crossings: [KidneySide: (point: SIMD3<Double>, radius: Double)]
    /// The renal arteries and veins from where they leave the aorta or IVC to where they branch.
    var centrelines: [PhantomAnatomy.Centreline]

    func iliacCrossing(side: KidneySide) -> (y: Double, z: Double, radius: Double) {
        let crossing = crossings[side] ?? (SIMD3(0, 0, -140), 6)
        return (crossing.point.y, crossing.point.z, crossing.radius)
    }
}

extension AnatomyBuilder {
    mutating func vessels(spine: SpineLayout, kidneys: [KidneyLayout]) -> VesselLayout {
        let aortaRadius = u(9, 12.5)
        let aortaX = u(10, 18)
        let aortaGap = u(1, 3)
        let bifurcation = u(-110, -85)
        let ivcRadius = u(10, 13)
        let ivcX = -u(20, 27)
        let ivcGap = u(0, 3)
        let confluence = bifurcation - u(5, 15)
        func aortaY(_ z: Double) -> Double { spine.front(atZ: z) - aortaRadius - aortaGap }
        func ivcY(_ z: Double) -> Double { spine.front(atZ: z) - 0.8 * ivcRadius - ivcGap }

        let trunkZ = [260.0, 120, 40, -30]
        var arteries = [
            tube(
                (trunkZ + [bifurcation]).map { SIMD3(aortaX, aortaY($0), $0) },
                radii: [1, 1, 0.95, 0.9, 0.85].map { $0 * aortaRadius }, .arterialBlood, label: .artery)
        ]
        var veins = [
            tube(
                (trunkZ + [confluence]).map { SIMD3(ivcX, ivcY($0), $0) },
                radii: [1, 1, 1, 0.95, 0.9].map { $0 * ivcRadius }, .venousBlood, label: .vein)
        ]
        let yBifurcation = aortaY(bifurcation)
        var crossings: [KidneySide: (point: SIMD3<Double>, radius: Double)] = [:]
        for side in KidneySide.allCases {
            let s = side.sign
            let iliac = [
                SIMD3(aortaX, yBifurcation, bifurcation), SIMD3(s * 40, yBifurcation - 8, bifurcation - 45),
                SIMD3(s * 60, yBifurcation - 20, bifurcation - 100),
                SIMD3(s * 72, yBifurcation - 40, bifurcation - 160),
            ]
            arteries.append(tube(iliac, radii: [0.6 * aortaRadius, 6, 5, 4.5], .arterialBlood, label: .artery))
            crossings[side] = (iliac[1], 6)
            let iliacVein = [
                SIMD3(ivcX, ivcY(confluence) + 6, confluence), SIMD3(s * 34, yBifurcation + 9, confluence - 45),
                SIMD3(s * 56, yBifurcation - 2, confluence - 100), SIMD3(s * 68, yBifurcation - 20, confluence - 160),
            ]
            veins.append(tube(iliacVein, radii: [0.7 * ivcRadius, 7, 6.5, 6], .venousBlood, label: .vein))
        }
        var centrelines: [PhantomAnatomy.Centreline] = []
        for kidney in kidneys {
            let vessels = renalVessels(
                kidney: kidney, aorta: (aortaX, aortaRadius, aortaY), ivc: (ivcX, ivcRadius, ivcY))
            arteries += vessels.arteries
            veins += vessels.veins
            centrelines += vessels.centrelines
        }
        return VesselLayout(arteries: arteries, veins: veins, crossings: crossings, centrelines: centrelines)
    }

    /// Renal artery (behind the IVC on the right) and vein (in front of the aorta on the left), each entering
    /// the hilum and splitting into an upper and a lower branch inside the sinus.
    private mutating func renalVessels(
        kidney: KidneyLayout, aorta: (x: Double, radius: Double, y: (Double) -> Double),
        ivc: (x: Double, radius: Double, y: (Double) -> Double)
    ) -> (arteries: [SceneObject], veins: [SceneObject], centrelines: [PhantomAnatomy.Centreline]) {
        let arteryRadius = u(2.5, 3.5)
        let veinRadius = u(3.5, 4.5)
        let arteryZ = kidney.centre.z + u(8, 18)
        let veinZ = kidney.centre.z + u(0, 8)
        let origin = SIMD3(aorta.x, aorta.y(arteryZ), arteryZ)
        let arteryHilum = kidney.hilum(1.05, back: 2)
        var arteryPath = [origin]
        if kidney.side == .right {
            arteryPath.append(SIMD3(ivc.x, ivc.y(arteryZ) + ivc.radius + arteryRadius + 2, arteryZ - 4))
        } else {
            arteryPath.append((origin + arteryHilum) / 2 + SIMD3(0, 4, 0))
        }
        let arteryBranch = kidney.hilum(0.4, back: 1)
        arteryPath += [arteryHilum, arteryBranch]

        let veinStart = SIMD3(ivc.x, ivc.y(veinZ), veinZ)
        let veinHilum = kidney.hilum(1.05, back: -6)
        var veinPath = [veinStart]
        if kidney.side == .left {
            let front = aorta.y(veinZ) - aorta.radius - veinRadius - 2
            veinPath += [SIMD3(aorta.x, front, veinZ), SIMD3(aorta.x + 25, front + 3, veinZ)]
        }
        let veinBranch = kidney.hilum(0.4, back: -4)
        veinPath += [veinHilum, veinBranch]

        func branches(
            from point: SIMD3<Double>, radius: Double, _ material: Material, label: PhantomLabel
        )
            -> [SceneObject]
        {
            [-1.0, 1.0].map { direction in
                let end = point + direction * 0.35 * kidney.envelope.semi.x * kidney.frame.u - 6 * kidney.frame.v
                return tube([point, end], radii: [radius, 0.7 * radius], material, label: label)
            }
        }
        let arteries =
            [
                tube(
                    arteryPath, radii: Array(repeating: arteryRadius, count: arteryPath.count), .arterialBlood,
                    label: .artery)
            ]
            + branches(from: arteryBranch, radius: 0.7 * arteryRadius, .arterialBlood, label: .artery)
        let veins =
            [tube(veinPath, radii: Array(repeating: veinRadius, count: veinPath.count), .venousBlood, label: .vein)]
            + branches(from: veinBranch, radius: 0.7 * veinRadius, .venousBlood, label: .vein)
        /// The path from where it leaves its trunk: the first point moved out along the first segment.
        func outside(_ path: [SIMD3<Double>], trunkRadius: Double, label: PhantomLabel) -> PhantomAnatomy.Centreline {
            let exit = path[0] + trunkRadius * normalized(path[1] - path[0])
            return PhantomAnatomy.Centreline(label: label, side: kidney.side, points: [exit] + path.dropFirst())
        }
        let centrelines = [
            outside(arteryPath, trunkRadius: aorta.radius + arteryRadius, label: .artery),
            outside(veinPath, trunkRadius: ivc.radius + veinRadius, label: .vein),
        ]
        return (arteries, veins, centrelines)
    }
}
