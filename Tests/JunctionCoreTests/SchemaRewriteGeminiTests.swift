import Testing

@testable import JunctionCore

@Suite("Schema rewrite: Gemini responseJsonSchema")
struct SchemaRewriteGeminiTests {
    private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func supportedSchemasPassUnchanged() throws {
        let schema = try self.json(
            ##"""
            {"type": "object", "title": "T", "description": "D",
             "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 9},
                            "s": {"type": "string", "format": "date", "enum": ["a", "b"]},
                            "l": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
                            "u": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
             "required": ["n"], "additionalProperties": false, "propertyOrdering": ["n", "s", "l", "u"]}
            """##
        )
        #expect(SchemaRewrite.gemini(schema) == schema)
    }

    @Test func unsupportedKeywordsAreDroppedWithTheirSubschemas() throws {
        let schema = try self.json(
            ##"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
             "properties": {"s": {"type": "string", "pattern": "^a", "minLength": 1, "maxLength": 5, "default": "a"},
                            "x": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 2},
                            "v": {"allOf": [{"type": "string"}], "not": {"const": "z"}}},
             "patternProperties": {"^p": {"type": "string"}}, "minProperties": 1,
             "if": {"required": ["s"]}, "then": {"required": ["x"]}}
            """##
        )
        let expected = try self.json(
            ##"""
            {"type": "object",
             "properties": {"s": {"type": "string"}, "x": {"type": "number"}, "v": {}}}
            """##
        )
        #expect(SchemaRewrite.gemini(schema) == expected)
    }

    @Test func constBecomesAOneValueEnumAndOddEnumsAreDropped() throws {
        let schema = try self.json(
            ##"""
            {"type": "object", "properties": {"k": {"const": "fixed"}, "b": {"const": true},
             "e": {"enum": ["a", 1, null]}, "f": {"enum": ["a", 2]}}}
            """##
        )
        let rewritten = SchemaRewrite.gemini(schema)
        #expect(rewritten["properties"]?["k"] == ["enum": ["fixed"]])
        #expect(rewritten["properties"]?["b"] == .object(JSONObject()))
        #expect(rewritten["properties"]?["e"] == .object(JSONObject()))
        #expect(rewritten["properties"]?["f"] == ["enum": ["a", 2]])
    }

    @Test func localReferencesAreInlinedAndDefinitionsDropped() throws {
        let schema = try self.json(
            ##"""
            {"type": "object",
             "properties": {"home": {"$ref": "#/$defs/address", "description": "Where they live"},
                            "work": {"$ref": "#/definitions/address"}},
             "required": ["home"],
             "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string"}},
                                   "required": ["city"]}},
             "definitions": {"address": {"type": "string"}}}
            """##
        )
        let expected = try self.json(
            ##"""
            {"type": "object",
             "properties": {"home": {"type": "object", "properties": {"city": {"type": "string"}},
                                     "required": ["city"], "description": "Where they live"},
                            "work": {"type": "object", "properties": {"city": {"type": "string"}},
                                     "required": ["city"]}},
             "required": ["home"]}
            """##
        )
        // `definitions` moved into `$defs`, where the existing `address` wins: both references reach it.
        #expect(SchemaRewrite.gemini(schema) == expected)
    }

    @Test func recursiveReferencesStayAloneAndTheirPropertiesOptional() throws {
        let schema = try self.json(
            ##"""
            {"type": "object",
             "properties": {"root": {"$ref": "#/$defs/node"}, "name": {"type": "string"}},
             "required": ["root", "name"],
             "$defs": {"node": {"type": "object",
                                "properties": {"value": {"type": "string"},
                                               "children": {"type": "array",
                                                            "items": {"$ref": "#/$defs/node", "title": "child"}}},
                                "required": ["value", "children"]}}}
            """##
        )
        let rewritten = SchemaRewrite.gemini(schema)
        // The first use is inlined; the cycle inside it stays a bare reference into the kept $defs.
        let root = try #require(rewritten["properties"]?["root"])
        #expect(root["properties"]?["children"]?["items"] == ["$ref": "#/$defs/node"])
        #expect(root["required"] == ["value"])
        #expect(rewritten["required"] == ["name"])
        #expect(rewritten["$defs"]?["node"]?["required"] == ["value"])
    }

    @Test func draft07TupleItemsBecomePrefixItems() throws {
        let schema = try self.json(
            ##"{"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}"##
        )
        let expected = try self.json(##"{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}"##)
        #expect(SchemaRewrite.gemini(schema) == expected)
    }
}
