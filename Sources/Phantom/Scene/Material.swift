/// The tissues a phantom voxel can hold; each case indexes a per-patient HU table (`MaterialTable`).
enum Material: UInt8, CaseIterable {
    case air, gas, skin, subcutaneousFat, visceralFat, perirenalFat, sinusFat, fascia
    case muscle, liver, spleen, bowelWall, bowelFluid, stool, urine
    case boneCortex, boneMarrow, posteriorElement, disc, csf
    case arterialBlood, venousBlood, kidneyCortex, kidneyMedulla, ureterLumen
    case tumor, tumorDark, necrosis
}

/// Mean HU of each material for one patient: typical portal-venous-phase values, jittered by the seed.
struct MaterialTable {
    var hu: [Float]

    subscript(material: Material) -> Float {
        get { hu[Int(material.rawValue)] }
        set { hu[Int(material.rawValue)] = newValue }
    }

    /// Draws one value per material, in a fixed order, from `random`.
    init(random: inout PhantomRandom) {
        hu = Array(repeating: 0, count: Material.allCases.count)
        func draw(_ low: Double, _ high: Double) -> Float { Float(random.uniform(low, high).rounded()) }
        self[.air] = -1000
        self[.gas] = draw(-980, -900)
        self[.skin] = draw(20, 50)
        self[.subcutaneousFat] = draw(-115, -95)
        self[.visceralFat] = draw(-105, -88)
        self[.perirenalFat] = draw(-108, -88)
        self[.sinusFat] = draw(-95, -75)
        self[.fascia] = draw(25, 50)
        self[.muscle] = draw(45, 60)
        self[.liver] = draw(95, 120)
        self[.spleen] = draw(105, 130)
        self[.bowelWall] = draw(80, 110)
        self[.bowelFluid] = draw(0, 30)
        self[.stool] = draw(-30, 40)
        self[.urine] = draw(5, 20)
        self[.boneCortex] = draw(750, 1000)
        self[.boneMarrow] = draw(180, 280)
        self[.posteriorElement] = draw(450, 650)
        self[.disc] = draw(70, 100)
        self[.csf] = draw(5, 15)
        self[.arterialBlood] = draw(250, 330)
        self[.venousBlood] = draw(150, 200)
        self[.kidneyCortex] = draw(165, 200)
        self[.kidneyMedulla] = self[.kidneyCortex] - draw(20, 45)
        self[.ureterLumen] = draw(5, 60)
        self[.tumor] = draw(80, 125)
        self[.tumorDark] = self[.tumor] - draw(20, 40)
        self[.necrosis] = draw(15, 35)
    }
}
