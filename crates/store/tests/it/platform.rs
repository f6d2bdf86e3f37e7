//! The platform tables on every backend: the same SQL text must behave the
//! same on SQLite and PostgreSQL, including the atomic guards.

use faktura_store::Error;
use faktura_store::platform::{
    ApiKeyRecord, Company, CustomRole, Invitation, Login, Membership, NewCompany, Page, Session,
};

use crate::harness::backends;

fn login(id: &str, email_index: u8) -> Login {
    Login {
        id: id.into(),
        email_index: vec![email_index; 32],
        email_sealed: vec![0xee, email_index],
        password_phc: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        totp_sealed: None,
        totp_last_step: None,
        created_us: 1,
        last_login_us: None,
        disabled_us: None,
    }
}

fn membership(id: &str, company: &str, login: &str, role: &str, at: i64) -> Membership {
    Membership {
        id: id.into(),
        company_id: company.into(),
        login_id: login.into(),
        role: role.into(),
        created_us: at,
    }
}

#[tokio::test]
async fn logins_companies_memberships_and_the_last_owner_guard() {
    for db in backends("platform memberships").await {
        let s = &db.store;
        let name = db.name;
        s.create_login(&login("log_a", 1)).await.unwrap();
        s.create_login(&login("log_b", 2)).await.unwrap();
        assert!(
            matches!(
                s.create_login(&login("log_c", 1)).await,
                Err(Error::Conflict(_))
            ),
            "{name}: duplicate e-mail index"
        );
        assert_eq!(
            s.login_by_email_index(&[2; 32]).await.unwrap().unwrap().id,
            "log_b"
        );
        s.create_company(&NewCompany {
            company: Company {
                id: "com_1".into(),
                name_sealed: vec![1, 2, 3],
                tier: "free".into(),
                created_us: 1,
            },
            owner: membership("mem_a", "com_1", "log_a", "owner", 1),
            keys: vec![],
        })
        .await
        .unwrap();
        s.add_membership(&membership("mem_b", "com_1", "log_b", "viewer", 2), Some(2))
            .await
            .unwrap();
        s.create_login(&login("log_d", 4)).await.unwrap();
        assert!(
            matches!(
                s.add_membership(&membership("mem_d", "com_1", "log_d", "viewer", 3), Some(2))
                    .await,
                Err(Error::Limit(_))
            ),
            "{name}: member limit"
        );
        // Pagination in creation order with a cursor.
        let first = s
            .memberships(
                "com_1",
                &Page {
                    after: None,
                    limit: 1,
                },
            )
            .await
            .unwrap();
        assert_eq!(first.len(), 2, "{name}: one row more tells has_more");
        let next = s
            .memberships(
                "com_1",
                &Page {
                    after: Some("mem_a".into()),
                    limit: 5,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            next.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["mem_b"]
        );
        // Scoped by company: a foreign company sees nothing.
        assert!(s.membership("com_other", "mem_a").await.unwrap().is_none());
        // The only owner can be neither demoted nor removed.
        assert!(matches!(
            s.set_membership_role("com_1", "mem_a", "viewer").await,
            Err(Error::LastOwner)
        ));
        assert!(matches!(
            s.remove_membership("com_1", "mem_a", 5).await,
            Err(Error::LastOwner)
        ));
        s.set_membership_role("com_1", "mem_b", "owner")
            .await
            .unwrap();
        s.set_membership_role("com_1", "mem_a", "viewer")
            .await
            .unwrap();
        assert_eq!(s.count_role("com_1", "owner").await.unwrap(), 1, "{name}");
    }
}

#[tokio::test]
async fn off_boarding_revokes_keys_and_sessions_at_once() {
    for db in backends("platform off-boarding").await {
        let s = &db.store;
        let name = db.name;
        s.create_login(&login("log_a", 1)).await.unwrap();
        s.create_login(&login("log_b", 2)).await.unwrap();
        s.create_company(&NewCompany {
            company: Company {
                id: "com_1".into(),
                name_sealed: vec![1],
                tier: "business".into(),
                created_us: 1,
            },
            owner: membership("mem_a", "com_1", "log_a", "owner", 1),
            keys: vec![],
        })
        .await
        .unwrap();
        s.add_membership(&membership("mem_b", "com_1", "log_b", "admin", 2), None)
            .await
            .unwrap();
        let key = ApiKeyRecord {
            id: "key_b".into(),
            company_id: "com_1".into(),
            key_hash: vec![9; 32],
            hint: "fk_live_abcd".into(),
            name_sealed: vec![1],
            scopes: "company.read".into(),
            created_by: "log_b".into(),
            created_us: 3,
            last_used_us: None,
            revoked_us: None,
        };
        s.create_api_key(&key).await.unwrap();
        let session = Session {
            token_hash: vec![7; 32],
            login_id: "log_b".into(),
            csrf_hash: vec![8; 32],
            created_us: 3,
            last_seen_us: 3,
            expires_us: i64::MAX,
        };
        s.create_session(&session).await.unwrap();
        assert!(s.api_key_by_hash(&[9; 32]).await.unwrap().is_some());
        let revoked = s.remove_membership("com_1", "mem_b", 10).await.unwrap();
        assert_eq!(revoked, ["key_b"], "{name}");
        assert!(
            s.api_key_by_hash(&[9; 32]).await.unwrap().is_none(),
            "{name}: key dead"
        );
        assert!(
            s.session(&[7; 32]).await.unwrap().is_none(),
            "{name}: session ended"
        );
        assert_eq!(
            s.api_key("com_1", "key_b")
                .await
                .unwrap()
                .unwrap()
                .revoked_us,
            Some(10)
        );
    }
}

#[tokio::test]
async fn throttle_totp_steps_invitations_and_roles() {
    for db in backends("platform throttle").await {
        let s = &db.store;
        let name = db.name;
        // Failures count atomically, also under concurrency.
        let subject = [5_u8; 32];
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let st = s.clone();
            tasks.push(tokio::spawn(async move {
                st.record_login_failure(&subject, 1).await.unwrap()
            }));
        }
        let mut counts = Vec::new();
        for t in tasks {
            counts.push(t.await.unwrap());
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=10).collect::<Vec<i64>>(), "{name}");
        s.lock_login(&subject, 99).await.unwrap();
        assert_eq!(
            s.throttle(&subject).await.unwrap().unwrap().locked_until_us,
            99
        );
        s.clear_login_failures(&subject).await.unwrap();
        assert!(s.throttle(&subject).await.unwrap().is_none());

        // A TOTP step is accepted once, and only forwards.
        s.create_login(&login("log_a", 1)).await.unwrap();
        assert!(s.use_totp_step("log_a", 100).await.unwrap());
        assert!(
            !s.use_totp_step("log_a", 100).await.unwrap(),
            "{name}: replay"
        );
        assert!(!s.use_totp_step("log_a", 99).await.unwrap());
        assert!(s.use_totp_step("log_a", 101).await.unwrap());

        // An invitation is accepted once.
        s.create_company(&NewCompany {
            company: Company {
                id: "com_1".into(),
                name_sealed: vec![1],
                tier: "free".into(),
                created_us: 1,
            },
            owner: membership("mem_a", "com_1", "log_a", "owner", 1),
            keys: vec![],
        })
        .await
        .unwrap();
        s.create_role(&CustomRole {
            id: "rol_1".into(),
            company_id: "com_1".into(),
            name_sealed: vec![1],
            permissions: "company.read invoice.read".into(),
            created_us: 2,
        })
        .await
        .unwrap();
        s.create_invitation(&Invitation {
            id: "ivt_1".into(),
            company_id: "com_1".into(),
            email_sealed: vec![1],
            role: "rol_1".into(),
            token_hash: vec![3; 32],
            invited_by: "log_a".into(),
            created_us: 2,
            expires_us: 1_000,
            accepted_us: None,
        })
        .await
        .unwrap();
        // Held by an open invitation: the role cannot go.
        assert!(matches!(
            s.delete_role("com_1", "rol_1").await,
            Err(Error::InUse(_))
        ));
        s.create_login(&login("log_b", 2)).await.unwrap();
        let m = membership("mem_b", "com_1", "log_b", "rol_1", 3);
        // Expired at 1_000: refused.
        assert!(matches!(
            s.accept_invitation("ivt_1", &m, 2_000, None).await,
            Err(Error::NotFound(_))
        ));
        s.accept_invitation("ivt_1", &m, 500, None).await.unwrap();
        let again = membership("mem_c", "com_1", "log_b", "viewer", 4);
        assert!(
            matches!(
                s.accept_invitation("ivt_1", &again, 501, None).await,
                Err(Error::NotFound(_))
            ),
            "{name}: an invitation works once"
        );
        assert!(matches!(
            s.delete_role("com_1", "rol_1").await,
            Err(Error::InUse(_))
        ));
        s.set_membership_role("com_1", "mem_b", "viewer")
            .await
            .unwrap();
        s.delete_role("com_1", "rol_1").await.unwrap();
        assert!(s.role("com_1", "rol_1").await.unwrap().is_none());
    }
}
