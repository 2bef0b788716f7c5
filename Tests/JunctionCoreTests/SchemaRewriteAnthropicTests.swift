import Testing

@testable import JunctionCore

@Suite("Schema rewrite: Anthropic output format")
struct SchemaRewriteAnthropicTests {
    private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func objectsAreClosedAndUnsupportedConstraintsDropped() throws {
        let schema = try self.json(
            ##"""
            {"type": "object",
             "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 5},
                            "s": {"type": "string", "minLength": 2, "format": "email", "pattern": "@"},
                            "w": {"type": "string", "format": "color"},
                            "l": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}}},
                                  "minItems": 1, "maxItems": 4},
                            "m": {"type": "array", "minItems": 2},
                            "e": {"enum": ["a", 1, null]}},
             "required": ["n"]}
            """##
        )
        let expected = try self.json(
            ##"""
            {"type": "object",
             "properties": {"n": {"type": "integer"},
                            "s": {"type": "string", "format": "email", "pattern": "@"},
                            "w": {"type": "string"},
                            "l": {"type": "array",
                                  "items": {"type": "object", "properties": {"x": {"type": "string"}},
                                            "additionalProperties": false},
                                  "minItems": 1},
                            "m": {"type": "array"},
                            "e": {"enum": ["a", 1, null]}},
             "required": ["n"], "additionalProperties": false}
            """##
        )
        #expect(SchemaRewrite.anthropicOutputFormat(schema) == expected)
    }

    @Test func schemasItCannotSayAreLeftToTheForcedTool() throws {
        let schemas = [
            ##"{"type": "array", "items": {"type": "string"}}"##,
            ##"{"type": "object", "properties": {"meta": {"type": "object"}}}"##,
            ##"{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true}"##,
            ##"{"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "null"}}}}"##,
            ##"{"type": "object", "properties": {"next": {"$ref": "#"}}}"##,
            ##"{"type": "object", "properties": {"x": {"$ref": "https://example.com/x.json"}}}"##,
            ##"{"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}, {"type": "number"}]}}}"##,
            ##"{"type": "object", "properties": {"a": true}}"##,
        ]
        for text in schemas {
            #expect(SchemaRewrite.anthropicOutputFormat(try self.json(text)) == nil, "\(text)")
        }
    }

    @Test func localDefinitionsAreKept() throws {
        let schema = try self.json(
            ##"""
            {"properties": {"a": {"$ref": "#/$defs/item"}},
             "$defs": {"item": {"type": "object", "properties": {"v": {"type": "boolean"}}, "required": ["v"]}}}
            """##
        )
        let rewritten = try #require(SchemaRewrite.anthropicOutputFormat(schema))
        #expect(rewritten["type"] == "object")
        #expect(rewritten["additionalProperties"] == false)
        #expect(rewritten["properties"]?["a"] == ["$ref": "#/$defs/item"])
        #expect(rewritten["$defs"]?["item"]?["additionalProperties"] == false)
    }
}
