import OrganaTestSupport
import Segmentation
import Testing

/// The web viewer reads label maps with `Structure`'s label values (its table in `app.js` repeats them).
@Test func viewerLabelValuesAreStructureLabelValues() throws {
    let entries = try ViewerStructureTable.entries()
    #expect(entries.map(\.name) == Structure.allCases.map(\.rawValue))
    for entry in entries {
        #expect(Structure(name: entry.name).map { Int($0.labelValue) } == entry.label, "\(entry.name)")
    }
}
