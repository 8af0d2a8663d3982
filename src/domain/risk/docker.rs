//! Rules for `docker` and `docker compose`: looking at containers reads, restarting them is a
//! reversible change, and removing, killing or running arbitrary images is dangerous.

use super::Classification;
use super::args::{CommandLine, Syntax};

const GLOBAL: Syntax = Syntax {
    short_values: "Hcl",
    long_values: "host context config log-level tlscacert tlscert tlskey",
};

const COMPOSE: Syntax = Syntax {
    short_values: "fp",
    long_values: "file project-name profile env-file project-directory ansi progress parallel",
};

const EXEC: Syntax = Syntax {
    short_values: "euw",
    long_values: "env env-file user workdir detach-keys",
};

/// Classifies `docker ARGS`.
pub(super) fn classify(args: &[String]) -> Classification {
    let (_, rest) = CommandLine::parse_leading(args, &GLOBAL);
    let Some((command, rest)) = rest.split_first() else {
        return Classification::no_rule("docker");
    };
    let command = command.as_str();
    let (group, sub, rest) = match command {
        "compose" => return compose(rest),
        "container" | "image" | "volume" | "network" | "system" | "context" | "builder" => {
            match rest.split_first() {
                Some((sub, rest)) => (command, sub.as_str(), rest),
                None => return Classification::no_rule(&format!("docker {command}")),
            }
        }
        _ => ("", command, rest),
    };
    let name = if group.is_empty() {
        sub.to_owned()
    } else {
        format!("{group} {sub}")
    };
    match (group, sub) {
        ("" | "container", "exec") => exec(rest),
        (
            "",
            "ps" | "logs" | "inspect" | "stats" | "top" | "images" | "version" | "info" | "events"
            | "port" | "diff" | "history",
        )
        | (
            "container",
            "ls" | "list" | "ps" | "logs" | "inspect" | "stats" | "top" | "port" | "diff",
        )
        | ("image", "ls" | "list" | "inspect" | "history")
        | ("volume" | "network" | "context", "ls" | "list" | "inspect")
        | ("context", "show")
        | ("system", "df" | "info" | "events")
        | ("builder", "ls") => Classification::read(format!("docker {name} only reads")),
        (
            "" | "container",
            "restart" | "start" | "stop" | "pause" | "unpause" | "update" | "rename" | "commit"
            | "create",
        )
        | ("", "tag" | "pull")
        | ("image", "tag" | "pull")
        | ("volume", "create")
        | ("network", "create" | "connect" | "disconnect") => Classification::write(format!(
            "docker {name} changes containers or images (reversible)"
        )),
        (_, "rm" | "rmi" | "prune") => Classification::dangerous(format!(
            "docker {name} deletes what it names, which cannot be undone"
        )),
        ("" | "container", "kill") => Classification::dangerous(format!(
            "docker {name} kills containers without letting them shut down"
        )),
        ("" | "container", "run") => Classification::dangerous(format!(
            "docker {name} starts a new container running an arbitrary image (arbitrary code)"
        )),
        ("" | "container", "cp" | "attach" | "export") => Classification::dangerous(format!(
            "docker {name} reaches into a container (arbitrary data access)"
        )),
        _ => Classification::no_rule(&format!("docker {name}")),
    }
}

/// `docker exec CONTAINER CMD`: as risky as CMD, unless it is interactive or changes the
/// environment CMD runs in.
fn exec(args: &[String]) -> Classification {
    let (line, rest) = CommandLine::parse_leading(args, &EXEC);
    if line.has(&["-i", "-t", "--interactive", "--tty", "--privileged"]) {
        return Classification::dangerous(
            "docker exec -i/-t/--privileged opens a session in a container (arbitrary code)",
        );
    }
    if line.has(&["-e", "--env", "--env-file"]) {
        return Classification::dangerous(
            "docker exec -e sets environment variables in the container, which Warroom cannot reason about",
        );
    }
    let Some((_, inner)) = rest.split_first().filter(|(_, inner)| !inner.is_empty()) else {
        return Classification::dangerous(
            "docker exec without a command runs something Warroom cannot see",
        );
    };
    let in_container = super::classify_words(inner);
    Classification::new(
        in_container.risk,
        format!(
            "docker exec runs `{}` in a container: {}",
            inner[0], in_container.reason
        ),
    )
}

/// Classifies `docker compose ARGS` and `docker-compose ARGS`.
pub(super) fn compose(args: &[String]) -> Classification {
    let (_, rest) = CommandLine::parse_leading(args, &COMPOSE);
    let Some((sub, rest)) = rest.split_first() else {
        return Classification::no_rule("docker compose");
    };
    let sub = sub.as_str();
    match sub {
        "ps" | "logs" | "config" | "top" | "images" | "ls" | "version" | "events" | "port" => {
            Classification::read(format!("docker compose {sub} only reads"))
        }
        "down" => {
            let line = CommandLine::parse(rest, &COMPOSE);
            if let Some((option, _)) = line.options(&["-v", "--volumes", "--rmi"]).next() {
                Classification::dangerous(format!(
                    "docker compose down {option} deletes volumes or images, which cannot be undone"
                ))
            } else {
                Classification::write(
                    "docker compose down removes the containers, which `up` recreates",
                )
            }
        }
        "restart" | "start" | "stop" | "pause" | "unpause" | "up" | "pull" | "create" | "scale" => {
            Classification::write(format!(
                "docker compose {sub} changes the services (reversible)"
            ))
        }
        "rm" | "kill" => Classification::dangerous(format!(
            "docker compose {sub} removes or kills containers, which cannot be undone"
        )),
        "exec" | "run" | "cp" | "attach" => Classification::dangerous(format!(
            "docker compose {sub} reaches into a container (arbitrary code or data access)"
        )),
        _ => Classification::no_rule(&format!("docker compose {sub}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn looking_reads() {
        for command in [
            "docker ps -a",
            "docker -H tcp://h:2375 logs --tail 100 <container>",
            "docker top <container>",
            "docker system df",
            "docker container ls",
            "docker image inspect x",
            "docker compose -f prod.yml ps",
            "docker-compose logs --tail=100 api",
            "docker exec <container> cat /etc/hosts",
            "docker exec -u app -w /srv <container> df -h",
        ] {
            assert_eq!(classify(command).risk, Read, "{command}");
        }
    }

    #[test]
    fn reversible_changes_write() {
        for command in [
            "docker restart <container>",
            "docker container stop <container>",
            "docker commit <container> forensics/<container>:<incident-id>",
            "docker update --memory 2g <container>",
            "docker compose restart api",
            "docker compose up -d",
            "docker compose down",
            "docker network disconnect n <container>",
        ] {
            assert_eq!(classify(command).risk, Write, "{command}");
        }
    }

    #[test]
    fn destroying_and_arbitrary_code_are_dangerous() {
        for command in [
            "docker rm -f <container>",
            "docker rmi x",
            "docker system prune -af",
            "docker volume rm data",
            "docker volume prune",
            "docker network rm n",
            "docker container prune",
            "docker image prune -a",
            "docker kill <container>",
            "docker run --rm -it alpine sh",
            "docker exec -it <container> sh",
            "docker exec -e LD_PRELOAD=/x <container> ls",
            "docker exec <container>",
            "docker exec <container> rm -rf /data",
            "docker compose down -v",
            "docker compose rm -f",
            "docker compose exec api sh",
            "docker swarm leave --force",
            "docker",
        ] {
            assert_eq!(classify(command).risk, Dangerous, "{command}");
        }
    }
}
