package dev.beacon.cli;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code pg_dump} and {@code pg_restore} command lines for the database of a PostgreSQL JDBC URL, which
 * {@code beacon admin backup} and {@code restore} print instead of copying: host, port, user and database name,
 * never a password (the tools read it from {@code PGPASSWORD} or {@code ~/.pgpass}). Immutable.
 */
record PostgresTools(String host, String port, String user, String database) {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

    /** Reads a {@code jdbc:postgresql:} URL; the user defaults as the server's does ({@code PGUSER}, else postgres). */
    static PostgresTools of(String jdbcUrl) {
        String rest = jdbcUrl.substring("jdbc:postgresql:".length());
        String query = "";
        int question = rest.indexOf('?');
        if (question >= 0) {
            query = rest.substring(question + 1);
            rest = rest.substring(0, question);
        }
        String host = null;
        String port = null;
        String database = rest;
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
            int slash = rest.indexOf('/');
            String first = (slash < 0 ? rest : rest.substring(0, slash)).split(",")[0]; // several hosts: the first
            database = slash < 0 ? "" : rest.substring(slash + 1);
            int colon = first.lastIndexOf(':');
            if (colon > first.lastIndexOf(']')) {
                port = first.substring(colon + 1);
                first = first.substring(0, colon);
            }
            host = first.isEmpty() ? null : first.replace("[", "").replace("]", "");
        }
        String user = System.getenv().getOrDefault("PGUSER", "postgres");
        for (String parameter : query.split("&")) {
            if (parameter.startsWith("user=")) {
                user = URLDecoder.decode(parameter.substring("user=".length()), StandardCharsets.UTF_8);
            }
        }
        return new PostgresTools(host, port, user, database.isEmpty() ? user : database);
    }

    /** {@code pg_dump} of the whole database in its custom format (what {@code pg_restore} reads) into {@code file}. */
    String dump(Path file) {
        List<String> words = connection("pg_dump", "--format=custom");
        words.add("--file=" + file);
        words.add(database);
        return join(words);
    }

    /** {@code pg_restore} of {@code file} into the database, dropping the objects it replaces. */
    String restore(Path file) {
        List<String> words = connection("pg_restore", "--clean", "--if-exists", "--no-owner");
        words.add("--dbname=" + database);
        words.add(file.toString());
        return join(words);
    }

    private List<String> connection(String... command) {
        List<String> words = new ArrayList<>(List.of(command));
        if (host != null) {
            words.add("--host=" + host);
        }
        if (port != null) {
            words.add("--port=" + port);
        }
        words.add("--username=" + user);
        return words;
    }

    private static String join(List<String> words) {
        return String.join(" ", words.stream().map(word -> PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'").toList());
    }
}
