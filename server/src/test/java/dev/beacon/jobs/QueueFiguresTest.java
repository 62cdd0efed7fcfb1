package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueueFiguresTest {
    @Test
    void average_waits_are_rounded_to_the_millisecond_so_the_json_has_no_float_noise() throws Exception {
        QueueFigures figures = new QueueFigures(2, 8.129199999999999, 1, 0, 1, 0,
                List.of(new QueueFigures.Wait("flt_1", "dock-2", 1, 0.1 + 0.2)),
                List.of(new QueueFigures.Wait(null, "echo", 0, 12.3456)));

        String json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .writeValueAsString(figures);

        assertThat(figures.avgWaitS()).isEqualTo(8.129);
        assertThat(json).contains("\"avg_wait_s\":8.129,").contains("\"avg_wait_s\":0.3}").contains("\"avg_wait_s\":12.346}");
    }
}
