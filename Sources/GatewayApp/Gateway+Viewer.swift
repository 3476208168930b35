// The web viewer's side of the gateway: the single-page viewer's files (compiled into the binary, so one
// executable serves everything: no resource bundle to ship beside it), jobs started from a configured sample
// CT instead of an upload (`POST /v1/jobs?sample=phantom`), and the job's input CT for the slice view
// (`GET /v1/jobs/{id}/input`). The viewer's files carry no data and need no token; every `/v1` call does.
import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
import ServiceContracts
public import ServiceSupport

/// The viewer's files: name → bytes (SwiftPM's `embedInCode` of `Viewer/`) and media type.
enum ViewerAssets {
    static let files: [String: (bytes: [UInt8], type: String)] = [
        "index.html": (PackageResources.index_html, "text/html; charset=utf-8"),
        "style.css": (PackageResources.style_css, "text/css; charset=utf-8"),
        "api.js": (PackageResources.api_js, "text/javascript; charset=utf-8"),
        "nifti.js": (PackageResources.nifti_js, "text/javascript; charset=utf-8"),
        "meshview.js": (PackageResources.meshview_js, "text/javascript; charset=utf-8"),
        "sliceview.js": (PackageResources.sliceview_js, "text/javascript; charset=utf-8"),
        "app.js": (PackageResources.app_js, "text/javascript; charset=utf-8"),
    ]

    /// Only this origin: the page loads nothing from elsewhere and talks only to this gateway.
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'"

    /// The file's response, or 404 naming it.
    static func response(_ name: String) throws -> Response {
        guard let file = files[name] else { throw ServiceError(.notFound, "the viewer has no file '\(name)'") }
        var headers: HTTPFields = [.contentType: file.type, .cacheControl: "no-cache"]
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}

extension Gateway {
    /// `GET /` and `GET /viewer` (the page), `GET /viewer/{file}` (its scripts and style), and the `/v1`
    /// routes only the viewer needs so far (`GET /v1/jobs/{id}/input`).
    func addViewerRoutes(to router: Router<ServiceRequestContext>, api: RouterGroup<ServiceRequestContext>) {
        router.get("/") { _, _ in Response(status: .found, headers: [.location: "/viewer/"]) }
        router.get("viewer") { _, _ in try ViewerAssets.response("index.html") }
        router.get("viewer/:file") { _, context in try ViewerAssets.response(try context.parameters.require("file")) }
        api.get("jobs/:id/input") { _, context in try await input(context: context) }
    }

    /// `GET /v1/jobs/{id}/input`: the job's CT as it was uploaded (or copied from a sample), streamed.
    func input(context: ServiceRequestContext) async throws -> Response {
        let id = try await job(context).id
        for name in ["ct.nii.gz", "ct.nii"] where try await objects.exists("jobs/\(id)/input/\(name)") {
            let path = try await objects.localFile(for: "jobs/\(id)/input/\(name)").path
            let body = try await FileIO().loadFile(path: path, context: context)
            let type = name.hasSuffix(".gz") ? "application/gzip" : "application/octet-stream"
            return Response(status: .ok, headers: [.contentType: type], body: body)
        }
        throw ServiceError(.notFound, "job \(id) has no input CT in storage")
    }

    /// The job's CT: the configured sample named by `?sample=`, or else the request body (streamed).
    func storeInput(_ request: Request, jobID: String) async throws -> String {
        guard let name = request.uri.queryParameters.get("sample") else {
            return try await storeUpload(request.body, jobID: jobID)
        }
        guard let file = configuration.samples[name] else {
            let known = configuration.samples.keys.sorted().joined(separator: ", ")
            throw ServiceError(.badRequest, "no sample CT named '\(name)' (known: \(known.isEmpty ? "none" : known))")
        }
        let key = "jobs/\(jobID)/input/ct.nii" + (file.pathExtension == "gz" ? ".gz" : "")
        try await objects.putFile(key, from: file)
        return key
    }
}
