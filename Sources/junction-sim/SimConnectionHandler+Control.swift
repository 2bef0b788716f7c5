import JunctionCore
import NIOCore
import NIOHTTP1
import NIOPosix

extension SimConnectionHandler {
    /// `GET …/models` in the shape of the format the path or headers name.
    func models(path: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let names = ["sim-model", "sim-large", "sim-small"]
        if path.hasPrefix("/v1beta") {
            self.respond(context, status: 200, json: ["models": .array(names.map { ["name": .string("models/\($0)")] })])
        } else if head.headers.contains(name: "anthropic-version") {
            self.respond(context, status: 200, json: ["data": .array(names.map { ["id": .string($0), "type": "model"] }), "has_more": false])
        } else {
            self.respond(context, status: 200, json: ["object": "list", "data": .array(names.map { ["id": .string($0), "object": "model"] })])
        }
        self.state.log(method: "GET", path: path, format: "models", model: "", stream: false, fault: .none, outcome: "ok")
    }

    /// `/_sim/…`: the request log, resets, fault rules, reported usage and set answers.
    func control(path: String, method: HTTPMethod, json: JSONValue?, context: ChannelHandlerContext) {
        switch (method, path) {
        case (.GET, "/_sim/log"):
            self.respond(context, status: 200, json: self.state.logJSON)
        case (.POST, "/_sim/reset"):
            self.state.reset()
            self.respond(context, status: 200, json: ["reset": true])
        case (.POST, "/_sim/faults"):
            guard let model = json?["model"]?.stringValue else {
                self.respond(context, status: 400, json: ["error": "model is required"])
                return
            }
            if let spec = json?["fault"]?.stringValue {
                guard let rule = SimFaultRule.fromModel("sim-" + spec) else {
                    self.respond(context, status: 400, json: ["error": .string("unknown fault \(spec)")])
                    return
                }
                self.state.configure(model: model, rule: rule)
            } else {
                self.state.configure(model: model, rule: nil)
            }
            self.respond(context, status: 200, json: ["model": .string(model), "fault": json?["fault"] ?? .null])
        case (.POST, "/_sim/usage"):
            guard let model = json?["model"]?.stringValue else {
                self.respond(context, status: 400, json: ["error": "model is required"])
                return
            }
            guard let given = json?["usage"], given != .null else {
                self.state.setUsage(model: model, usage: nil)
                self.respond(context, status: 200, json: ["model": .string(model), "usage": .null])
                return
            }
            do {
                let usage = try SimUsage.parse(given)
                self.state.setUsage(model: model, usage: usage)
                self.respond(context, status: 200, json: ["model": .string(model), "usage": usage.json])
            } catch {
                self.respond(context, status: 400, json: ["error": .string(error.message)])
            }
        case (.POST, "/_sim/answers"):
            self.setAnswers(json, context: context)
        case (.GET, "/_sim/health"):
            self.respond(context, status: 200, json: ["ok": true])
        default:
            self.respond(context, status: 404, json: ["error": "unknown control endpoint"])
        }
    }

    /// `{"model": M, "answers": ["text1", "text2", ...]}`: each chat request for M answered with a body takes the
    /// next text as its completion (the last one repeating); `null` or `[]` clears them.
    private func setAnswers(_ json: JSONValue?, context: ChannelHandlerContext) {
        guard let model = json?["model"]?.stringValue else {
            self.respond(context, status: 400, json: ["error": "model is required"])
            return
        }
        let given = json?["answers"] ?? .null
        guard given == .null || given.arrayValue != nil else {
            self.respond(context, status: 400, json: ["error": "answers must be an array of strings or null"])
            return
        }
        let answers = given.arrayValue?.compactMap(\.stringValue) ?? []
        guard answers.count == (given.arrayValue?.count ?? 0) else {
            self.respond(context, status: 400, json: ["error": "answers must be an array of strings or null"])
            return
        }
        self.state.setAnswers(model: model, answers: answers)
        self.respond(context, status: 200, json: ["model": .string(model), "answers": .int(answers.count)])
    }
}
