import Foundation

/// One kidney with its sinus, pelvis and perirenal space, in world mm.
struct KidneyLayout {
    var side: KidneySide
    var envelope: Ellipsoid
    /// The perirenal space inside Gerota's fascia.
    var space: Ellipsoid
    /// Unit vector pointing posteriorly within the kidney's frame (±w).
    var posterior: SIMD3<Double>
    var pelvisCentre: SIMD3<Double>
    var sinusFat: SceneObject
    var pelvis: SceneObject
    var parenchyma: SceneObject
    var fascia: SceneObject
    var perirenalFat: SceneObject

    var centre: SIMD3<Double> { envelope.centre }
    var frame: Frame { envelope.frame }
    /// Point at local hilum depth `v` (fraction of the width semi-axis) shifted `back` mm posteriorly.
    func hilum(_ v: Double, back: Double = 0, down: Double = 0) -> SIMD3<Double> {
        centre + v * envelope.semi.y * frame.v + back * posterior - down * envelope.semi.x * frame.u
    }
}

/// The tumour object and what the summary says about it.
struct TumorLayout {
    var object: SceneObject
    var summary: PhantomAnatomy.Tumor
}

extension AnatomyBuilder {
    mutating func kidney(side: KidneySide, spine: SpineLayout, torso: BodyCrossSection) -> KidneyLayout {
        let s = side.sign
        let semi = SIMD3(u(54, 62), u(28, 32), u(23, 26))
        let leftZ = u(5, 20)
        let drop = u(10, 25)
        let drawnCentre = SIMD3(s * u(68, 76), spine.centreY + u(2, 10), side == .left ? leftZ : leftZ - drop)
        let coronal = u(10, 20) * .pi / 180
        let sagittal = u(5, 15) * .pi / 180
        let hilumAngle = u(25, 40) * .pi / 180
        // Long axis: upper pole medial and posterior. Width axis v points to the hilum: medial and anterior.
        let frame = Frame(
            primary: SIMD3(-s * sin(coronal), sin(sagittal), cos(coronal)),
            secondary: SIMD3(-s * cos(hilumAngle), -sin(hilumAngle), 0))
        let spaceGrowth = SIMD3(u(12, 18), u(10, 15), u(9, 13))
        let fasciaThickness = u(8, 10)
        let fasciaOffset = SIMD3(s * u(2, 5), u(2, 6), -u(5, 12))
        // The kidney with its fascia stays inside the abdominal cavity: muscle, not subcutaneous fat, lies
        // behind Gerota's fascia.
        let outline = Ellipsoid(
            centre: drawnCentre + fasciaOffset, semi: semi + spaceGrowth + fasciaThickness + 3, frame: frame)
        let centre = drawnCentre + torso.inwardShift(keepingInCavity: outline, side: s)
        let envelope = Ellipsoid(centre: centre, semi: semi, frame: frame)
        let posterior = frame.w.y > 0 ? frame.w : -frame.w
        let sinus = Ellipsoid(
            centre: centre + 0.45 * semi.y * frame.v, semi: semi * SIMD3(0.55, 0.75, 0.55), frame: frame)
        let texture = KidneyTexture(sinus: sinus, cortex: u(5, 7), pyramidDepth: u(10, 14), phase: u(0, 2 * .pi))
        let pelvisCentre = centre + 0.7 * semi.y * frame.v + 3 * posterior - 0.12 * semi.x * frame.u
        let pelvis = Ellipsoid(centre: pelvisCentre, semi: SIMD3(u(10, 14), u(8, 10), u(5, 7)), frame: frame)
        let space = Ellipsoid(centre: centre + fasciaOffset, semi: semi + spaceGrowth, frame: frame)
        // Gerota's fascia drawn as a closed soft-tissue wall thicker than the real 1-3 mm, so that it stays a
        // barrier between perirenal and visceral fat at 2.5-5 mm sampling.
        let fascia = space.grown(by: fasciaThickness)
        return KidneyLayout(
            side: side, envelope: envelope, space: space, posterior: posterior, pelvisCentre: pelvisCentre,
            sinusFat: SceneObject(shape: .ellipsoid(envelope), fill: .solid(.sinusFat), label: .background),
            pelvis: SceneObject(shape: .ellipsoid(pelvis), fill: .solid(.ureterLumen), label: .ureter),
            parenchyma: SceneObject(shape: .ellipsoid(envelope), fill: .kidney(texture), label: .kidney),
            fascia: SceneObject(
                shape: .ellipsoid(fascia), fill: .solid(.fascia), label: .background, confinement: .cavity),
            perirenalFat: SceneObject(
                shape: .ellipsoid(space), fill: .solid(.perirenalFat), label: .perirenalFat, confinement: .cavity))
    }

    /// A tumour on one kidney's lateral half, either mostly inside (endophytic) or bulging out (exophytic).
    mutating func tumor(kidneys: [KidneyLayout], exophyticProbability: Double) -> TumorLayout {
        let kidney = u(0, 1) < 0.5 ? kidneys[0] : kidneys[1]
        let along = u(-0.75, 0.75)
        let around = u(0.55, 1.45) * .pi
        let ring = (1 - along * along).squareRoot()
        let direction = SIMD3(along, ring * cos(around), ring * sin(around))
        let semi = kidney.envelope.semi
        let surface = direction / ((direction / semi) * (direction / semi)).sum().squareRoot()
        let normal = normalized(surface / (semi * semi))
        let drawnRadius = u(12, 28)
        let exophytic = u(0, 1) < exophyticProbability
        let outward = u(0.1, 0.5)
        let inward = u(0.55, 0.85)
        let flattening = SIMD3(1, u(0.85, 1), u(0.85, 1))
        // A tumour confined to the kidney's fascia (no T4 growth): shrink it until it fits the perirenal space.
        var radius = drawnRadius
        var shape: Ellipsoid
        repeat {
            let offset = exophytic ? outward * radius : -inward * radius
            let centre = kidney.centre + kidney.frame.world(surface + offset * normal)
            shape = Ellipsoid(centre: centre, semi: radius * flattening, frame: kidney.frame)
            radius *= 0.95
        } while radius > 8 && !shape.surfaceSamples().allSatisfy(kidney.space.contains)
        radius = shape.semi.x
        let centre = shape.centre
        let necrosis = u(0.3, 0.5)
        let salt = random.next()
        return TumorLayout(
            object: SceneObject(
                shape: .ellipsoid(shape), fill: .tumor(necrosis: radius > 18 ? necrosis : 0, salt: salt),
                label: .tumor),
            summary: PhantomAnatomy.Tumor(side: kidney.side, centre: centre, radius: radius, exophytic: exophytic))
    }

    /// The ureter from the renal pelvis, out of the hilum, down in front of the psoas, across the iliac
    /// vessels and on towards the bladder.
    mutating func ureter(
        kidney: KidneyLayout, vessels: VesselLayout, muscles: MuscleLayout
    ) -> (object: SceneObject, centreline: PhantomAnatomy.Centreline) {
        let s = kidney.side.sign
        let radius = u(1.5, 3)
        let start = kidney.pelvisCentre
        let exit = start + 12 * kidney.frame.v + SIMD3(0, 0, -14)
        let lumbarZ = min(exit.z - 45, -40)
        let psoas = muscles.psoas(side: kidney.side, z: lumbarZ)
        let lumbar = SIMD3(psoas.centre.x, psoas.centre.y - psoas.radius - radius - 2, lumbarZ)
        let crossing = vessels.iliacCrossing(side: kidney.side)
        let pelvic = SIMD3(s * 42, crossing.y - crossing.radius - radius - 3, crossing.z)
        let lower = SIMD3(s * 55, pelvic.y + 5, crossing.z - 65)
        let bladder = SIMD3(s * 35, -10, -280)
        let path = [start, exit, lumbar, pelvic, lower, bladder]
        return (
            tube(path, radii: Array(repeating: radius, count: path.count), .ureterLumen, label: .ureter),
            PhantomAnatomy.Centreline(label: .ureter, side: kidney.side, points: path)
        )
    }
}
