package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigFileTest {
    @TempDir
    Path tmp;

    static AgentConfig enrolled(String token) {
        Map<String, HandlerConfig> handlers = new LinkedHashMap<>();
        handlers.put("backup", new HandlerConfig(List.of("/usr/local/bin/backup.sh", "--fast"), 600));
        handlers.put("report", new HandlerConfig(List.of("/opt/report", "a \"quoted\" arg", "tab\there"), null));
        return new AgentConfig("http://127.0.0.1:8080", "r_1", token, "bot-1", "default", "warehouse-a", "dock-2",
                null, Map.of("zone", "a"), handlers);
    }

    @Test
    void saves_the_config_with_mode_0600_in_a_0700_directory() throws Exception {
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("new/roboflare/agent.toml"));

        file.write(enrolled(TokenFormat.generate(TokenKind.ROBOT).value()));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path().getParent()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("new")))).isEqualTo("rwx------");
    }

    @Test
    void round_trips_every_field_including_the_handler_tables() {
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("agent.toml"));
        AgentConfig config = enrolled(TokenFormat.generate(TokenKind.ROBOT).value());

        file.write(config);

        assertThat(file.read()).contains(config);
    }

    @Test
    void writes_handlers_as_toml_tables_people_can_edit() throws Exception {
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("agent.toml"));

        file.write(enrolled(TokenFormat.generate(TokenKind.ROBOT).value()));

        String text = Files.readString(file.path());
        assertThat(text).contains("[handlers.backup]\ncommand = [\"/usr/local/bin/backup.sh\", \"--fast\"]\ntimeout_s = 600\n");
        assertThat(text).contains("[labels]\nzone = \"a\"");
        assertThat(text).startsWith("# ");
    }

    @Test
    void reads_the_handler_tables_the_spec_shows() throws Exception {
        Path path = tmp.resolve("agent.toml");
        Files.writeString(path, """
                server = "https://beacon.example.com"
                name = "bot-9"

                [handlers.backup]
                command = ["/usr/local/bin/backup.sh", "--fast"]
                timeout_s = 600
                """);

        AgentConfig config = AgentConfigFile.at(path).read().orElseThrow();

        assertThat(config.handlers()).containsEntry("backup", new HandlerConfig(List.of("/usr/local/bin/backup.sh", "--fast"), 600));
        assertThat(config.enrolled()).isFalse();
    }

    @Test
    void keeps_keys_it_does_not_know_when_rewriting() throws Exception {
        Path path = tmp.resolve("agent.toml");
        Files.writeString(path, """
                server = "http://old"
                log_level = "debug"

                [proxy]
                url = "http://proxy:3128"
                """);
        AgentConfigFile file = AgentConfigFile.at(path);

        file.write(enrolled(TokenFormat.generate(TokenKind.ROBOT).value()));

        String text = Files.readString(path);
        assertThat(text).contains("log_level = \"debug\"").contains("[proxy]\nurl = \"http://proxy:3128\"");
        assertThat(text).contains("server = \"http://127.0.0.1:8080\"").doesNotContain("http://old");
    }

    @Test
    void reads_an_older_file_with_a_websocket_url_and_drops_that_key_when_rewriting() throws Exception {
        Path path = tmp.resolve("agent.toml");
        Files.writeString(path, """
                server = "https://beacon.example.com"
                robot_id = "r_1"
                robot_token = "%s"
                name = "bot-1"
                websocket_url = "wss://old-beacon.example.com/api/agent/ws"
                """.formatted(TokenFormat.generate(TokenKind.ROBOT).value()));
        AgentConfigFile file = AgentConfigFile.at(path);

        AgentConfig config = file.read().orElseThrow();
        file.write(config);

        assertThat(ServerEndpoint.of(config).websocketUri()).hasToString("wss://beacon.example.com/api/agent/ws");
        assertThat(Files.readString(path)).doesNotContain("websocket_url").doesNotContain("old-beacon");
    }

    @Test
    void replaces_the_file_by_renaming_a_new_one_over_it_and_leaves_no_temp_file() throws Exception {
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("agent.toml"));
        file.write(enrolled(TokenFormat.generate(TokenKind.ROBOT).value()));
        Object inodeBefore = Files.getAttribute(file.path(), "unix:ino");
        String newToken = TokenFormat.generate(TokenKind.ROBOT).value();

        file.write(enrolled(newToken));

        // A new inode proves the old file was replaced by rename, never truncated and rewritten in place.
        assertThat(Files.getAttribute(file.path(), "unix:ino")).isNotEqualTo(inodeBefore);
        assertThat(file.read().orElseThrow().robotToken()).isEqualTo(newToken);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("agent.toml");
        }
    }

    @Test
    void an_unparseable_file_is_reported_in_one_line_naming_it() throws Exception {
        Path path = tmp.resolve("agent.toml");
        Files.writeString(path, "server = \n[[[");

        assertThatThrownBy(() -> AgentConfigFile.at(path).read())
                .isInstanceOf(AgentException.class)
                .hasMessageStartingWith("Cannot parse " + path)
                .hasMessageNotContaining("\n");
    }

    @Test
    void a_missing_file_reads_as_empty() {
        assertThat(AgentConfigFile.at(tmp.resolve("absent.toml")).read()).isEmpty();
    }

    @Test
    void config_option_wins_over_xdg_config_home_which_wins_over_home() {
        Path home = tmp.resolve("home");
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", tmp.resolve("xdg").toString());

        assertThat(new AgentConfigFile(tmp.resolve("explicit.toml"), env, home).path()).isEqualTo(tmp.resolve("explicit.toml"));
        assertThat(new AgentConfigFile(null, env, home).path()).isEqualTo(tmp.resolve("xdg/roboflare/agent.toml"));
        assertThat(new AgentConfigFile(null, Map.of(), home).path()).isEqualTo(home.resolve(".config/roboflare/agent.toml"));
        assertThat(new AgentConfigFile(null, Map.of("XDG_CONFIG_HOME", "relative/dir"), home).path())
                .as("a relative XDG_CONFIG_HOME is invalid and ignored")
                .isEqualTo(home.resolve(".config/roboflare/agent.toml"));
    }

    @Test
    void beacon_agent_config_names_the_file_below_the_config_option_and_above_xdg_config_home() {
        Path home = tmp.resolve("home");
        Path system = tmp.resolve("etc/roboflare/agent.toml");
        Map<String, String> env = Map.of("BEACON_AGENT_CONFIG", system.toString(),
                "XDG_CONFIG_HOME", tmp.resolve("xdg").toString());

        assertThat(new AgentConfigFile(null, env, home).path()).isEqualTo(system);
        assertThat(new AgentConfigFile(tmp.resolve("explicit.toml"), env, home).path()).isEqualTo(tmp.resolve("explicit.toml"));
        assertThat(new AgentConfigFile(null, Map.of("BEACON_AGENT_CONFIG", "relative.toml"), home).path())
                .as("a relative BEACON_AGENT_CONFIG is ignored, like a relative XDG_CONFIG_HOME")
                .isEqualTo(home.resolve(".config/roboflare/agent.toml"));
    }

    @Test
    void root_writing_into_a_directory_another_user_owns_gives_the_file_to_that_user() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "only root can give a file away: skipping as " + System.getProperty("user.name"));
        UserPrincipalLookupService users = tmp.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal nobody = users.lookupPrincipalByName("nobody");
        GroupPrincipal nogroup = users.lookupPrincipalByGroupName("nogroup");
        Path dir = Files.createDirectories(tmp.resolve("etc/roboflare"));
        Files.setOwner(dir, nobody);
        Files.getFileAttributeView(dir, PosixFileAttributeView.class).setGroup(nogroup);
        AgentConfigFile file = AgentConfigFile.at(dir.resolve("agent.toml"));

        file.write(enrolled(TokenFormat.generate(TokenKind.ROBOT).value()));

        PosixFileAttributes written = Files.readAttributes(file.path(), PosixFileAttributes.class);
        assertThat(written.owner()).isEqualTo(nobody);
        assertThat(written.group()).isEqualTo(nogroup);
        assertThat(PosixFilePermissions.toString(written.permissions())).isEqualTo("rw-------");
    }

    @Test
    void home_from_the_environment_wins_over_the_jvm_user_home() {
        Path jvmHome = tmp.resolve("from-passwd");
        Path home = tmp.resolve("from-env");

        assertThat(new AgentConfigFile(null, Map.of("HOME", home.toString()), jvmHome).path())
                .isEqualTo(home.resolve(".config/roboflare/agent.toml"));
        assertThat(new AgentConfigFile(null, Map.of("HOME", home.toString(), "XDG_CONFIG_HOME", tmp.resolve("xdg").toString()),
                jvmHome).path()).isEqualTo(tmp.resolve("xdg/roboflare/agent.toml"));
        assertThat(new AgentConfigFile(null, Map.of("HOME", "relative"), jvmHome).path())
                .as("a relative HOME is ignored")
                .isEqualTo(jvmHome.resolve(".config/roboflare/agent.toml"));
    }

    @Test
    void to_string_shows_only_a_masked_prefix_of_the_token() {
        String token = TokenFormat.generate(TokenKind.ROBOT).value();

        assertThat(enrolled(token).toString()).doesNotContain(token).contains(TokenFormat.mask(token));
    }

    @Test
    void a_file_with_one_server_reads_as_a_list_of_one_and_is_written_back_as_server() throws Exception {
        Path path = tmp.resolve("agent.toml");
        String token = TokenFormat.generate(TokenKind.ROBOT).value();
        Files.writeString(path, "server = \"https://beacon.example.com\"\nrobot_id = \"r_1\"\nrobot_token = \"" + token
                + "\"\nname = \"bot-9\"\n");
        AgentConfigFile file = AgentConfigFile.at(path);

        AgentConfig config = file.read().orElseThrow();
        file.write(config.withRobotToken(TokenFormat.generate(TokenKind.ROBOT).value()));

        assertThat(config.servers()).containsExactly("https://beacon.example.com");
        assertThat(config.server()).isEqualTo("https://beacon.example.com");
        assertThat(Files.readString(path)).contains("\nserver = \"https://beacon.example.com\"\n").doesNotContain("servers");
    }

    @Test
    void several_servers_round_trip_in_order_as_a_servers_list() throws Exception {
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("agent.toml"));
        AgentConfig one = enrolled(TokenFormat.generate(TokenKind.ROBOT).value());
        AgentConfig several = new AgentConfig(List.of("https://beacon-2.example.com", "https://beacon-1.example.com"),
                one.robotId(), one.robotToken(), one.name(), one.organization(), one.site(), one.fleet(), one.caCert(),
                one.labels(), one.handlers());

        file.write(several);

        assertThat(file.read()).contains(several);
        assertThat(Files.readString(file.path()))
                .contains("\nservers = [\"https://beacon-2.example.com\", \"https://beacon-1.example.com\"]\n")
                .doesNotContain("\nserver = ");
    }

    @Test
    void server_beside_servers_reads_as_server_first_without_repeats() throws Exception {
        Path path = tmp.resolve("agent.toml");
        Files.writeString(path, """
                server = "https://a.example.com"
                servers = ["https://b.example.com", "https://a.example.com", "https://c.example.com"]
                """);

        AgentConfig config = AgentConfigFile.at(path).read().orElseThrow();

        assertThat(config.servers()).containsExactly("https://a.example.com", "https://b.example.com", "https://c.example.com");
    }

    @Test
    void a_servers_key_that_is_not_a_list_of_urls_is_refused_in_one_line() throws Exception {
        Path path = tmp.resolve("agent.toml");
        Files.writeString(path, "servers = [\"https://a.example.com\", 8080]\n");

        assertThatThrownBy(() -> AgentConfigFile.at(path).read())
                .isInstanceOf(AgentException.class)
                .hasMessageStartingWith("Cannot use " + path + ": `servers` must hold server URLs in quotes");
    }

    @Test
    void a_token_rotated_into_a_file_keeps_its_server_list() {
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("agent.toml"));
        AgentConfig one = enrolled(TokenFormat.generate(TokenKind.ROBOT).value());
        AgentConfig several = new AgentConfig(List.of("https://a.example.com", "https://b.example.com"), one.robotId(),
                one.robotToken(), one.name(), one.organization(), one.site(), one.fleet(), one.caCert(), one.labels(),
                one.handlers());
        file.write(several);
        String rotated = TokenFormat.generate(TokenKind.ROBOT).value();

        new CredentialStore(file, several).replaceToken(rotated);

        AgentConfig saved = file.read().orElseThrow();
        assertThat(saved.robotToken()).isEqualTo(rotated);
        assertThat(saved.servers()).containsExactly("https://a.example.com", "https://b.example.com");
    }
}
