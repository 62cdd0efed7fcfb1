package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.errors.Conflict;
import dev.beacon.errors.DomainException;
import dev.beacon.errors.Invalid;
import dev.beacon.errors.NotFound;
import dev.beacon.errors.RateLimited;
import dev.beacon.errors.Refused;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one mapping from domain errors to HTTP: each kind gets its status, and code, detail and field pass through. */
class DomainErrorMappingTest {
    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of(new NotFound("robot"), 404, "not_found", null),
                Arguments.of(Invalid.field("scopes", "Give at least one scope."), 400, "validation_failed", "scopes"),
                Arguments.of(Invalid.reference("site_id", "No site s_1 in this organization."), 422, "validation_failed", "site_id"),
                Arguments.of(Invalid.coded("enrollment_key_malformed", "Truncated."), 400, "enrollment_key_malformed", null),
                Arguments.of(new Conflict("robot_offline", "Not connected."), 409, "robot_offline", null),
                Arguments.of(Refused.credentials("No key."), 401, "unauthorized", null),
                Arguments.of(new Refused(Refused.Grounds.CREDENTIALS, "robot_token_revoked", "Revoked."), 401, "robot_token_revoked", null),
                Arguments.of(Refused.permission("Needs admin."), 403, "forbidden", null),
                Arguments.of(new RateLimited(7, "Slow down."), 429, "rate_limited", null));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void each_kind_of_domain_error_gets_its_status_and_keeps_its_code_detail_and_field(DomainException error, int status, String code,
                                                                                       String field) {
        ApiError problem = Problems.problem(error);

        assertThat(problem.status()).isEqualTo(status);
        assertThat(problem.code()).isEqualTo(code);
        assertThat(problem.detail()).isEqualTo(error.detail());
        assertThat(problem.field()).isEqualTo(field);
    }

    @Test
    void a_rate_limit_carries_its_wait_of_at_least_a_second_and_nothing_else_does() {
        assertThat(Problems.problem(new RateLimited(7, "Slow down.")).retryAfterSeconds()).isEqualTo(7);
        assertThat(Problems.problem(new RateLimited(0, "Slow down.")).retryAfterSeconds()).isEqualTo(1);
        assertThat(Problems.problem(new NotFound("job")).retryAfterSeconds()).isNull();
    }

    @Test
    void the_problem_document_is_the_same_as_for_the_equivalent_api_error() {
        ObjectMapper json = new ObjectMapper();

        assertThat(Problems.body(json, Problems.problem(Invalid.reference("fleet_id", "No fleet f_1 in this organization."))))
                .isEqualTo(Problems.body(json, ApiError.unprocessable("fleet_id", "No fleet f_1 in this organization.")))
                .isEqualTo("{\"type\":\"https://beacon.dev/problems/validation-failed\",\"title\":\"Unprocessable Content\",\"status\":422,"
                        + "\"code\":\"validation_failed\",\"detail\":\"No fleet f_1 in this organization.\",\"field\":\"fleet_id\"}");
        assertThat(Problems.body(json, Problems.problem(new NotFound("API key"))))
                .isEqualTo(Problems.body(json, ApiError.notFound("API key")));
    }
}
