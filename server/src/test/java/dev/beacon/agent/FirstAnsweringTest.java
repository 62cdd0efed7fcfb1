package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which failures move a one-shot request on to the next server, and which are final. */
class FirstAnsweringTest {
    static final List<ServerEndpoint> SERVERS = ServerEndpoint.allOf(List.of("http://a.example.com", "http://b.example.com"), null);

    @Test
    void a_refused_connection_moves_on_and_the_next_answer_wins() throws Exception {
        List<String> asked = new ArrayList<>();

        String answer = FirstAnswering.ask(SERVERS, server -> {
            asked.add(server.base().toString());
            if (asked.size() == 1) {
                throw ServerUnreachableException.of(server.resolve("/api/enroll"), new ConnectException("refused"));
            }
            return "answered by " + server.base();
        }, (unreachable, failure, next) -> asked.add("moving to " + next.base()));

        assertThat(answer).isEqualTo("answered by http://b.example.com");
        assertThat(asked).containsExactly("http://a.example.com", "moving to http://b.example.com", "http://b.example.com");
    }

    @Test
    void a_request_that_timed_out_after_it_was_sent_is_final_since_it_may_have_taken_effect() {
        List<String> asked = new ArrayList<>();

        assertThatThrownBy(() -> FirstAnswering.ask(SERVERS, server -> {
            asked.add(server.base().toString());
            throw ServerUnreachableException.of(URI.create(server.base() + "/api/enroll"), new HttpTimeoutException("request timed out"));
        }, (unreachable, failure, next) -> asked.add("moving")))
                .isInstanceOf(ServerUnreachableException.class)
                .hasMessageContaining("did not answer in time");
        assertThat(asked).containsExactly("http://a.example.com");
    }

    @Test
    void a_refusal_is_final() {
        List<String> asked = new ArrayList<>();

        assertThatThrownBy(() -> FirstAnswering.ask(SERVERS, server -> {
            asked.add(server.base().toString());
            throw new EnrollmentRefusedException("enrollment_key_revoked", 401, "revoked");
        }, (unreachable, failure, next) -> asked.add("moving")))
                .isInstanceOf(EnrollmentRefusedException.class);
        assertThat(asked).containsExactly("http://a.example.com");
    }
}
