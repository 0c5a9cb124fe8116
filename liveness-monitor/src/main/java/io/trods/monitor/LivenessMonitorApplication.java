package io.trods.monitor;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class LivenessMonitorApplication {

    public static void main(String[] args) {
        SpringApplication.run(LivenessMonitorApplication.class, args);
    }
}
