package dev.beacon.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * {@code beacon audit export}, a real {@code beacon} process against a real server: JSON Lines to a file (whole or not
 * at all) or to stdout, a one-line summary on stderr, and the server's refusal as the usual error line and exit code.
 */
@BeaconTest
class AuditExportCliTest {
    @Parameter
    Backend backend;

    @TempDir
    Path tmp;
    TestServer server;
    CliProcess beacon;

    @BeforeEach
    void operator() throws Exception {
        beacon = new CliProcess(Files.createDirectories(tmp.resolve("xdg"))).env("BEACON_API_KEY", server.adminKey());
        for (String name : List.of("a", "b", "c")) {
            assertThat(server.post("/api/sites", "{\"name\":\"" + name + "\"}", server.adminKey()).status()).isEqualTo(201);
        }
    }

    @Test
    void export_writes_every_event_to_the_file_oldest_first_and_says_how_many_on_stderr() throws Exception {
        int events = server.get("/api/audit?limit=500", server.adminKey()).json().get("items").size();
        Path file = tmp.resolve("audit.jsonl");

        CliProcess.Result result = beacon.run("audit", "export", "--server", server.baseUrl(), "--since", "2020-01-01T00:00:00Z", "-f",
                file.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEmpty();
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(events);
        assertThat(lines.getLast()).contains("\"action\":\"site.created\"").contains("\"detail\":\"name=c\"");
        assertThat(result.errLines()).singleElement().asString()
                .matches("exported " + events + " audit events to " + file + " \\(\\S+Z to \\S+Z\\)");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        try (var left = Files.list(tmp)) {
            assertThat(left.map(path -> path.getFileName().toString())).noneMatch(name -> name.endsWith(".part"));
        }
    }

    @Test
    void export_to_stdout_filters_by_action_and_a_bad_since_is_refused_with_the_servers_code() {
        CliProcess.Result sites = beacon.run("audit", "export", "--server", server.baseUrl(), "--action", "site.created");
        assertThat(sites.exitCode()).as(sites.err()).isZero();
        assertThat(sites.out().lines().toList()).hasSize(3).allMatch(line -> line.contains("\"action\":\"site.created\""));
        assertThat(sites.out().lines().toList().getFirst()).contains("\"detail\":\"name=a\"");
        assertThat(sites.errLines()).singleElement().asString().startsWith("exported 3 audit events (");

        CliProcess.Result bad = beacon.run("audit", "export", "--server", server.baseUrl(), "--since", "last-week", "-f",
                tmp.resolve("never.jsonl").toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.errLines()).singleElement().asString().endsWith("[field since] (validation_failed)");
        assertThat(tmp.resolve("never.jsonl")).doesNotExist();
    }
}
