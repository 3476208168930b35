import Foundation

/// The phantom's patient as a painted scene, built from a seed in world millimetres (LPS: +x patient left,
/// +y posterior, +z superior; the kidneys lie near the origin).
///
/// Paint order is priority, lowest first: bowel and stomach → liver, spleen → perirenal fascia and fat →
/// muscles → spine → renal sinus fat → ureters and pelves → veins → arteries → renal parenchyma → tumour.
/// Organs, bowel and the perirenal spaces are confined to the abdominal cavity, muscles to the muscle
/// compartment, so nothing paints over subcutaneous fat or skin.
///
/// Random values are drawn in a fixed order that does not depend on the grid or on the tumour toggle, so
/// the same seed gives the same patient at any size or spacing, with or without the tumour.
struct Anatomy {
    var body: BodyCrossSection
    var objects: [SceneObject]
    var materials: MaterialTable
    var summary: PhantomAnatomy

    init(seed: UInt64, includesTumor: Bool, exophyticProbability: Double) {
        var builder = AnatomyBuilder(random: PhantomRandom(seed: seed))
        let materials = MaterialTable(random: &builder.random)
        let torso = builder.torso()
        let spine = builder.spine(torso: torso)
        let muscles = builder.muscles(spine: spine)
        let kidneys = [KidneySide.left, .right].map { builder.kidney(side: $0, spine: spine, torso: torso) }
        let tumor = builder.tumor(kidneys: kidneys, exophyticProbability: exophyticProbability)
        let vessels = builder.vessels(spine: spine, kidneys: kidneys)
        let ureters = kidneys.map { builder.ureter(kidney: $0, vessels: vessels, muscles: muscles) }
        let viscera = builder.viscera(torso: torso, spine: spine)

        var objects = viscera.hollow + viscera.solid
        objects += kidneys.flatMap { [$0.fascia, $0.perirenalFat] }
        objects += muscles.objects + spine.objects
        objects += kidneys.map(\.sinusFat) + kidneys.map(\.pelvis) + ureters.map(\.object)
        objects += vessels.veins + vessels.arteries + kidneys.map(\.parenchyma)
        if includesTumor { objects.append(tumor.object) }

        self.body = torso
        self.objects = objects
        self.materials = materials
        self.summary = PhantomAnatomy(
            seed: seed, leftKidneyCentre: kidneys[0].centre, rightKidneyCentre: kidneys[1].centre,
            tumor: includesTumor ? tumor.summary : nil,
            centrelines: vessels.centrelines + ureters.map(\.centreline))
    }
}

/// Draws the anatomy, part by part, from one generator.
struct AnatomyBuilder {
    var random: PhantomRandom

    mutating func u(_ low: Double, _ high: Double) -> Double { random.uniform(low, high) }

    mutating func torso() -> BodyCrossSection {
        // The cavity is wide enough for kidneys beside the spine with their perirenal space; fat adds outside.
        let cavityHalfWidth = u(130, 150)
        let anterior = u(105, 125)
        let posterior = u(125, 140)
        let exponent = u(2.3, 2.8)
        let skin = 2.0
        let fat = SIMD3(u(15, 40), u(12, 35), u(10, 25))
        let wall = SIMD3(u(9, 14), u(8, 13), 4)
        return BodyCrossSection(
            centreY: 0, halfWidth: cavityHalfWidth + skin + fat.x + wall.x, anterior: anterior, posterior: posterior,
            posteriorExponent: exponent,
            insets: [.zero, SIMD3(repeating: skin), skin + fat, skin + fat + wall], phase: u(0, 2 * .pi))
    }
}

/// Which kidney: the patient's left lies at +x in LPS.
public enum KidneySide: String, Sendable, Codable, CaseIterable {
    case left, right

    /// +1 for left (+x), −1 for right.
    var sign: Double { self == .left ? 1 : -1 }
}

/// Facts about one generated patient, in world mm (LPS), for tests and for `labels.json`.
public struct PhantomAnatomy: Sendable, Hashable, Codable {
    /// The tumour, when the phantom has one.
    public struct Tumor: Sendable, Hashable, Codable {
        public var side: KidneySide
        /// Centre in world mm (LPS).
        public var centre: SIMD3<Double>
        /// Largest semi-axis in mm.
        public var radius: Double
        /// Whether it was placed to bulge out of the kidney.
        public var exophytic: Bool
    }

    /// The axis of one thin tube (a renal artery or vein from where it leaves its trunk, or a ureter from the renal
    /// pelvis), a polyline in world mm (LPS): the painted tube is this polyline's chain of capsules. Volume Dice of
    /// a whole structure hides a missing 3-mm renal artery beside the aorta; sampling its axis does not.
    public struct Centreline: Sendable, Hashable, Codable {
        public var label: PhantomLabel
        public var side: KidneySide
        public var points: [SIMD3<Double>]

        public init(label: PhantomLabel, side: KidneySide, points: [SIMD3<Double>]) {
            self.label = label
            self.side = side
            self.points = points
        }

        /// Points along the polyline, `step` mm apart (the first point included, the last within `step`).
        public func samples(step: Double) -> [SIMD3<Double>] {
            var samples: [SIMD3<Double>] = []
            var carried = 0.0  // distance already covered past the last sample
            for (a, b) in zip(points, points.dropFirst()) {
                let length = ((b - a) * (b - a)).sum().squareRoot()
                var t = samples.isEmpty ? 0 : step - carried
                while t <= length {
                    samples.append(a + (length > 0 ? t / length : 0) * (b - a))
                    t += step
                }
                carried = length - (t - step)
            }
            return samples
        }
    }

    public var seed: UInt64
    /// Centre of the left (+x) and right kidney envelopes, world mm.
    public var leftKidneyCentre: SIMD3<Double>
    public var rightKidneyCentre: SIMD3<Double>
    public var tumor: Tumor?
    /// Both renal arteries, both renal veins and both ureters.
    public var centrelines: [Centreline]
}
