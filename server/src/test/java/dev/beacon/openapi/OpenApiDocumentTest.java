package dev.beacon.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import io.swagger.v3.oas.models.SpecVersion;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document itself: it is valid OpenAPI 3.1, it names exactly the {@code /api} routes the server registers,
 * its examples match its own schemas, and every refusal it documents lists its codes. Runs on JUnit's thread.
 */
class OpenApiDocumentTest {
    private final OpenApiContract contract = OpenApiContract.load();

    @Test
    void the_document_parses_as_openapi_3_1_without_a_single_message() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(contract.text, null, options);

        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getOpenAPI().getSpecVersion()).isEqualTo(SpecVersion.V31);
        assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.1.");
        assertThat(result.getOpenAPI().getComponents().getSecuritySchemes())
                .containsOnlyKeys("apiKey", "robotToken", "dashboardSession", "csrfToken");
    }

    @Test
    void every_api_route_the_server_registers_is_documented_and_nothing_else_is() {
        Set<String> registered;
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            // The agent socket is one route to a client: a GET that upgrades (the plain GET answers 426).
            registered = server.server().routes().stream()
                    .map(route -> route.startsWith("WS ") ? "GET " + route.substring(3) : route)
                    .filter(route -> route.split(" ", 2)[1].startsWith("/api/"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> documented = contract.operations();

        assertThat(registered).as("routes the server registers that the document lacks").isSubsetOf(documented);
        assertThat(documented).as("operations in the document that the server does not register").isSubsetOf(registered);
        assertThat(registered).hasSizeGreaterThan(30);
    }

    @Test
    void every_example_in_the_document_matches_its_own_schema() {
        List<String> failures = new ArrayList<>();
        int examples = 0;
        for (Map.Entry<String, JsonNode> schema : contract.document.path("components").path("schemas").properties()) {
            for (JsonNode example : schema.getValue().path("examples")) {
                examples++;
                failures.addAll(prefixed("schema " + schema.getKey(),
                        contract.validate("schema " + schema.getKey(), schema.getValue(), example.toString())));
            }
        }
        for (String operation : contract.operations()) {
            JsonNode body = contract.operation(operation).path("requestBody").path("content").path("application/json");
            if (body.has("example")) {
                examples++;
                failures.addAll(prefixed(operation + " request",
                        contract.validate(operation + " request", body.path("schema"), body.path("example").toString())));
            }
            for (Map.Entry<String, JsonNode> response : contract.operation(operation).path("responses").properties()) {
                for (Map.Entry<String, JsonNode> media : contract.resolve(response.getValue()).path("content").properties()) {
                    for (Map.Entry<String, JsonNode> example : media.getValue().path("examples").properties()) {
                        examples++;
                        String key = operation + " " + response.getKey() + " " + media.getKey();
                        failures.addAll(prefixed(key + " " + example.getKey(),
                                contract.validate(key, media.getValue().path("schema"), example.getValue().path("value").toString())));
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(examples).isGreaterThan(100);
    }

    @Test
    void the_validator_refuses_answers_that_drift_from_the_document() {
        JsonNode site = contract.document.at("/components/schemas/Site");
        JsonNode job = contract.document.at("/components/schemas/Job");

        assertThat(contract.validate("site", site, "{\"id\":\"site_1\",\"name\":\"a\",\"created_at\":\"2026-11-22T09:15:25.003Z\"}")).isEmpty();
        assertThat(contract.validate("site", site, "{\"id\":\"site_1\",\"name\":\"a\"}")).as("a missing field").isNotEmpty();
        assertThat(contract.validate("site", site, "{\"id\":\"site_1\",\"name\":\"a\",\"created_at\":\"2026-11-22T09:15:25.003Z\",\"createdAt\":1}"))
                .as("a field the document does not name").isNotEmpty();
        assertThat(contract.validate("job", job, "{\"id\":\"job_1\"}")).as("a ref'd schema is really applied").isNotEmpty();
        assertThat(contract.validate("job", job, contract.document.at("/components/schemas/Job/examples/0").toString().replace("\"succeeded\"", "\"done\"")))
                .as("a status outside the enum").isNotEmpty();
    }

    @Test
    void every_refusal_documents_its_problem_codes_and_every_operation_its_security() {
        List<String> missing = new ArrayList<>();
        for (String operation : contract.operations()) {
            JsonNode op = contract.operation(operation);
            if (!op.has("security") || !op.has("operationId") || !op.has("summary")) {
                missing.add(operation + ": security, operationId or summary");
            }
            for (Map.Entry<String, JsonNode> response : op.path("responses").properties()) {
                int status = Integer.parseInt(response.getKey());
                JsonNode resolved = contract.resolve(response.getValue());
                if (status < 400) {
                    continue;
                }
                JsonNode codes = resolved.path("x-problem-codes");
                JsonNode schema = resolved.path("content").path("application/problem+json").path("schema");
                if (!codes.isArray() || codes.isEmpty()) {
                    missing.add(operation + " " + status + ": x-problem-codes");
                } else if (!schema.path("properties").path("code").path("enum").equals(codes)) {
                    missing.add(operation + " " + status + ": the schema's code enum differs from x-problem-codes");
                }
            }
            if (!op.path("responses").has("500")) {
                missing.add(operation + ": 500");
            }
        }
        assertThat(missing).isEmpty();
    }

    private static List<String> prefixed(String where, List<String> errors) {
        return errors.stream().map(error -> where + ": " + error).toList();
    }
}
