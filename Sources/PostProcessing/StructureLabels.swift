/// Which label-map value each canonical structure has (defaults: Organa's catalog and the phantom,
/// `PhantomLabel`: 1 kidney, 2 tumor, 3 artery, 4 vein, 5 ureter).
public struct StructureLabels: Sendable, Hashable, Codable {
    public var kidney: UInt8
    public var tumor: UInt8
    public var artery: UInt8
    public var vein: UInt8
    public var ureter: UInt8
    /// A perirenal-fat label already present in the input (ignored as a "predicted structure"); 0 = none.
    public var fat: UInt8

    public init(
        kidney: UInt8 = 1, tumor: UInt8 = 2, artery: UInt8 = 3, vein: UInt8 = 4, ureter: UInt8 = 5, fat: UInt8 = 6
    ) {
        self.kidney = kidney
        self.tumor = tumor
        self.artery = artery
        self.vein = vein
        self.ureter = ureter
        self.fat = fat
    }

    /// Canonical name → value, for reports.
    public var named: [(name: String, value: UInt8)] {
        [("kidney", kidney), ("tumor", tumor), ("artery", artery), ("vein", vein), ("ureter", ureter)]
    }

    /// The canonical name of `value`, or "label N".
    public func name(of value: UInt8) -> String {
        named.first { $0.value == value }?.name ?? (value == fat && fat != 0 ? "fat" : "label \(value)")
    }
}
