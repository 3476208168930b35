import Meshing
import OrganaTestSupport
import Testing

/// The web viewer draws each structure in `StructureStyle`'s colour (its table in `app.js` repeats them).
@Test func viewerColoursAreStructureStyleColours() throws {
    let entries = try ViewerStructureTable.entries()
    #expect(entries.count == 5)
    for entry in entries {
        let colour = StructureStyle.color(for: entry.name, label: entry.label)
        let expected = [colour.x, colour.y, colour.z].map { Int(($0 * 255).rounded()) }
        #expect(entry.rgb == expected, "\(entry.name): app.js has \(entry.rgb), StructureStyle \(expected)")
    }
}
