package dev.beacon.cli;

import dev.beacon.server.BeaconServer;
import dev.beacon.loadtest.Loadtest;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code beacon loadtest}: bounded load scenarios against a running server, with a text and JSON report. */
@Command(name = "loadtest", mixinStandardHelpOptions = true, description = "Measure a running Beacon server under load.",
        subcommands = {LoadtestCommand.Enroll.class, LoadtestCommand.Agents.class, LoadtestCommand.Jobs.class, LoadtestCommand.Mixed.class,
                LoadtestCommand.AgentsWorker.class})
public final class LoadtestCommand {

    /** Options every scenario shares. */
    static final class Common {
        @Option(names = "--server", defaultValue = "${env:BEACON_SERVER:-http://127.0.0.1:8080}",
                description = "Server URL (default: ${DEFAULT-VALUE}); repeat it for several nodes on one database: calls and agents are spread over them.")
        List<URI> servers;
        @Option(names = "--api-key", defaultValue = "${env:BEACON_API_KEY}", description = "An admin API key (env BEACON_API_KEY).")
        String apiKey;
        @Option(names = "--duration", defaultValue = "120", description = "Stop after this many seconds at the latest (default: ${DEFAULT-VALUE}).")
        int durationSeconds;
        @Option(names = "--json", description = "Also write the report as JSON to this file.")
        Path json;
        @Option(names = "--allow-remote", description = "Allow a server that is not on loopback.")
        boolean allowRemote;
    }

    @Command(name = "enroll", mixinStandardHelpOptions = true, description = "Enrollments per second and latency at a given concurrency.")
    static final class Enroll implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;
        @Option(names = "--count", defaultValue = "10000", description = "Claims to send (default: ${DEFAULT-VALUE}).")
        int count;
        @Option(names = "--concurrency", defaultValue = "8", description = "Claims in flight at once (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Override
        public Integer call() {
            return new Loadtest(spec.commandLine().getOut(), spec.commandLine().getErr(), BeaconServer.objectMapper())
                    .enroll(common.servers, common.apiKey, common.allowRemote, count, concurrency, common.durationSeconds, common.json);
        }
    }

    @Command(name = "agents", mixinStandardHelpOptions = true,
            description = "Hold many agent connections with heartbeats: connect rate, heartbeat round trips, server memory and CPU.")
    static final class Agents implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;
        @Option(names = "--count", defaultValue = "1000", description = "Agents to enroll and connect (default: ${DEFAULT-VALUE}).")
        int count;
        @Option(names = "--heartbeat-s", defaultValue = "15", description = "Seconds between each agent's heartbeats (default: ${DEFAULT-VALUE}).")
        int heartbeatSeconds;
        @Option(names = "--workers", defaultValue = "0", description = "Child processes to hold the sockets (at most 9,000 each); "
                + "0 holds them in this process (default: ${DEFAULT-VALUE}).")
        int workers;
        @Option(names = "--server-pid", description = "The server's process id on this machine: memory is then read after a full GC (jcmd PID GC.run).")
        Long serverPid;

        @Override
        public Integer call() {
            return new Loadtest(spec.commandLine().getOut(), spec.commandLine().getErr(), BeaconServer.objectMapper())
                    .agents(common.servers, common.apiKey, common.allowRemote,
                            new Loadtest.AgentsRun(count, heartbeatSeconds, common.durationSeconds, workers, serverPid), common.json);
        }
    }

    /** The child process behind {@code agents --workers K}; not for people, so hidden. */
    @Command(name = "agents-worker", hidden = true, description = "Hold a share of the agents for a parent `loadtest agents --workers`.")
    static final class AgentsWorker implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--server", required = true)
        List<URI> servers;
        @Option(names = "--count", required = true)
        int count;
        @Option(names = "--heartbeat-s", required = true)
        int heartbeatSeconds;
        @Option(names = "--duration", required = true)
        int durationSeconds;
        @Option(names = "--allow-remote")
        boolean allowRemote;

        @Override
        public Integer call() {
            return new Loadtest(spec.commandLine().getOut(), spec.commandLine().getErr(), BeaconServer.objectMapper())
                    .agentsWorker(servers, System.getenv("BEACON_API_KEY"), allowRemote, count, heartbeatSeconds, durationSeconds, System.in);
        }
    }

    @Command(name = "mixed", mixinStandardHelpOptions = true,
            description = "Everything at once: enrollments at a rate, agents holding sockets and heartbeating, and echo jobs at a rate run by those agents.")
    static final class Mixed implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;
        @Option(names = "--agents", defaultValue = "500", description = "Simulated agents holding sockets and running echo (default: ${DEFAULT-VALUE}).")
        int agents;
        @Option(names = "--heartbeat-s", defaultValue = "15", description = "Seconds between each agent's heartbeats (default: ${DEFAULT-VALUE}).")
        int heartbeatSeconds;
        @Option(names = "--enroll-count", defaultValue = "3000", description = "Enrollments to send (default: ${DEFAULT-VALUE}).")
        int enrollCount;
        @Option(names = "--enroll-rate", defaultValue = "50", description = "Enrollments per second (default: ${DEFAULT-VALUE}).")
        int enrollRate;
        @Option(names = "--job-count", defaultValue = "3000", description = "Echo jobs to submit (default: ${DEFAULT-VALUE}).")
        int jobCount;
        @Option(names = "--job-rate", defaultValue = "50", description = "Jobs per second to submit (default: ${DEFAULT-VALUE}).")
        int jobRate;
        @Option(names = "--concurrency", defaultValue = "8", description = "Clients sending enrollments, and as many submitting jobs (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Override
        public Integer call() {
            return new Loadtest(spec.commandLine().getOut(), spec.commandLine().getErr(), BeaconServer.objectMapper())
                    .mixed(common.servers, common.apiKey, common.allowRemote, new Loadtest.MixedRun(agents, heartbeatSeconds, enrollCount,
                            enrollRate, jobCount, jobRate, concurrency, common.durationSeconds), common.json);
        }
    }

    @Command(name = "jobs", mixinStandardHelpOptions = true,
            description = "Submit echo jobs to simulated agents: submit-to-agent latency and end-to-end jobs per second.")
    static final class Jobs implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;
        @Option(names = "--agents", defaultValue = "100", description = "Simulated agents running echo (default: ${DEFAULT-VALUE}).")
        int agents;
        @Option(names = "--count", defaultValue = "10000", description = "Jobs to submit (default: ${DEFAULT-VALUE}).")
        int count;
        @Option(names = "--rate", defaultValue = "0", description = "Jobs per second to submit; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
        int rate;
        @Option(names = "--concurrency", defaultValue = "8", description = "Submitting clients (default: ${DEFAULT-VALUE}).")
        int concurrency;
        @Option(names = "--submit-to", defaultValue = "0", description = "With several --server URLs: submit every job to the Nth (from 1) "
                + "and connect the agents to the others only, so that each dispatch crosses nodes; 0 spreads both (default: ${DEFAULT-VALUE}).")
        int submitTo;

        @Override
        public Integer call() {
            return new Loadtest(spec.commandLine().getOut(), spec.commandLine().getErr(), BeaconServer.objectMapper())
                    .jobs(common.servers, common.apiKey, common.allowRemote, agents, count, rate, concurrency, common.durationSeconds, submitTo,
                            common.json);
        }
    }
}
