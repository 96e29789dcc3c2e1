//! A fake of Microsoft Graph (v1.0 directory reads) and the identity platform's token
//! endpoint, standalone, for manual testing of scimd's pull sync.
//!
//! graph-fake [--listen 127.0.0.1:8081] [--tenant ID] [--client-id ID] [--client-secret S]
//!            [--seed users,groups,members_per_group]

use graph_fake::{FakeGraph, NewUser};
use std::process::ExitCode;

const USAGE: &str = "usage: graph-fake [--listen ADDR] [--tenant ID] [--client-id ID] [--client-secret SECRET] [--seed USERS,GROUPS,MEMBERS_PER_GROUP]";

struct Options {
    listen: String,
    tenant: String,
    client_id: String,
    secret: String,
    seed: Option<(usize, usize, usize)>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:8081".into(),
        tenant: uuid::Uuid::new_v4().to_string(),
        client_id: uuid::Uuid::new_v4().to_string(),
        secret: uuid::Uuid::new_v4().simple().to_string(),
        seed: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => o.listen = value()?,
            "--tenant" => o.tenant = value()?,
            "--client-id" => o.client_id = value()?,
            "--client-secret" => o.secret = value()?,
            "--seed" => {
                let v = value()?;
                let n: Vec<usize> = v
                    .split(',')
                    .map(|p| p.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("--seed {v}: expected USERS,GROUPS,MEMBERS_PER_GROUP"))?;
                let [users, groups, members] = n[..] else {
                    return Err(format!(
                        "--seed {v}: expected USERS,GROUPS,MEMBERS_PER_GROUP"
                    ));
                };
                o.seed = Some((users, groups, members));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let fake = match FakeGraph::start_on(&o.listen) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("graph-fake: cannot listen on {}: {e}", o.listen);
            return ExitCode::FAILURE;
        }
    };
    fake.add_tenant(&o.tenant);
    fake.add_app(&o.tenant, &o.client_id, &o.secret);
    if let Some((users, groups, members)) = o.seed {
        let started = std::time::Instant::now();
        fake.seed(&o.tenant, users, groups, members);
        eprintln!(
            "seeded {users} users, {groups} groups, {members} members each in {:.1?}",
            started.elapsed()
        );
    } else {
        let ada = fake.create_user(&o.tenant, NewUser::named("ada"));
        let bob = fake.create_user(&o.tenant, NewUser::named("bob"));
        let eng = fake.create_group(&o.tenant, "Engineering");
        fake.add_member(&o.tenant, &eng, &ada);
        fake.add_member(&o.tenant, &eng, &bob);
    }
    println!("url:           {}", fake.url());
    println!("token url:     {}", fake.token_url(&o.tenant));
    println!("scope:         {}", fake.scope());
    println!("tenant:        {}", o.tenant);
    println!("client id:     {}", o.client_id);
    println!("client secret: {}", o.secret);
    loop {
        std::thread::park();
    }
}
