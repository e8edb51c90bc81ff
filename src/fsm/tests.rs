use super::*;
use crate::error::ProviderFailure;
use crate::model::Continuation;
use std::sync::Arc;

fn draft(prompt: &str) -> Draft {
    Draft {
        prompt: prompt.into(),
        engine: "offline".into(),
        model: String::new(),
        size: "1024x1024".into(),
        quality: None,
        styling: Default::default(),
        references: Vec::new(),
    }
}

fn reference(id: char) -> ReferenceImage {
    ReferenceImage {
        id: id.to_string().repeat(64),
        mime: "image/png".into(),
        width: 8,
        height: 8,
        bytes: 100,
        original_bytes: 100,
    }
}

fn fresh(id: &str) -> Fresh {
    Fresh {
        request_id: id.into(),
        seed: id.len() as u64,
    }
}

fn image(seed: u64) -> GeneratedImage {
    GeneratedImage {
        mime: "image/png".into(),
        b64: Arc::from("iVBORw0KGgo="),
        engine: "openai".into(),
        provider: "OpenAI".into(),
        model: "gpt-image-1".into(),
        size: "1024x1024".into(),
        quality: None,
        revised_prompt: None,
        reply: None,
        sent_prompt: None,
        fallback: None,
        cost: None,
        elapsed_ms: 10,
        provider_calls: 1,
        continuation: Some(Continuation {
            engine: "openai".into(),
            token: format!("token-{seed}"),
        }),
        seed,
        created_at: 0,
    }
}

fn failure() -> AppError {
    AppError::Provider {
        failure: ProviderFailure::Auth,
        message: "OpenAI rejected the API key (401): check OPENAI_API_KEY".into(),
        provider_calls: 1,
    }
}

/// Feeds events in order, returning the final stage and every command emitted.
fn run(stage: Stage, events: Vec<Event>) -> (Stage, Vec<Command>) {
    events
        .into_iter()
        .fold((stage, Vec::new()), |(stage, mut commands), event| {
            let (next, command) = update(&stage, event);
            commands.extend(command);
            (next, commands)
        })
}

fn finished(id: &str, seed: u64) -> Event {
    Event::Finished {
        request_id: id.into(),
        result: Ok(image(seed)),
    }
}

/// A session in review with two attempts, the second on show.
fn reviewing() -> Stage {
    run(
        Stage::new(draft("a red barn")),
        vec![
            Event::Generate(fresh("a")),
            finished("a", 1),
            Event::Regenerate(fresh("bb")),
            finished("bb", 2),
        ],
    )
    .0
}

#[test]
fn generate_moves_to_generating_and_asks_for_the_drafted_request() {
    let (stage, commands) = update(
        &Stage::new(draft("a red barn")),
        Event::Generate(fresh("r1")),
    );
    assert_eq!(stage.kind(), StageKind::Generating);
    let [Command::Generate(request)] = commands.as_slice() else {
        panic!("expected a generate command")
    };
    assert_eq!(
        (request.prompt.as_str(), request.request_id.as_str()),
        ("a red barn", "r1")
    );
    assert!(request.parent.is_none() && request.refinements.is_empty());
}

#[test]
fn blank_prompt_stays_in_input_with_an_error_and_no_command() {
    let (stage, commands) = update(&Stage::new(draft("  ")), Event::Generate(fresh("r1")));
    assert_eq!(commands, []);
    assert!(matches!(
        stage,
        Stage::InitialInput {
            notice: Some(Notice::Problem(Note::EmptyPrompt)),
            ..
        }
    ));
}

#[test]
fn success_shows_the_new_attempt_for_review() {
    let stage = reviewing();
    let Stage::UserFeedback { session, shown, .. } = &stage else {
        panic!("{stage:?}")
    };
    assert_eq!((session.attempts.len(), *shown), (2, 1));
}

#[test]
fn regenerating_keeps_every_earlier_attempt() {
    let (stage, _) = run(
        reviewing(),
        vec![Event::Regenerate(fresh("ccc")), finished("ccc", 3)],
    );
    let seeds: Vec<u64> = stage
        .session()
        .unwrap()
        .attempts
        .iter()
        .map(|a| a.image.seed)
        .collect();
    assert_eq!(seeds, vec![1, 2, 3]);
}

#[test]
fn stale_result_is_ignored() {
    let (generating, _) = update(&reviewing(), Event::Regenerate(fresh("new")));
    let (stage, _) = update(&generating, finished("old", 9));
    assert_eq!(stage, generating);
}

#[test]
fn failure_from_input_returns_the_draft_with_the_error() {
    let (stage, _) = run(
        Stage::new(draft("a red barn")),
        vec![
            Event::Generate(fresh("a")),
            Event::Finished {
                request_id: "a".into(),
                result: Err(failure()),
            },
        ],
    );
    assert_eq!(
        stage,
        Stage::InitialInput {
            draft: draft("a red barn"),
            notice: Some(Notice::Error(failure()))
        }
    );
}

#[test]
fn failed_refine_keeps_attempts_and_the_feedback_text() {
    let (stage, _) = run(
        reviewing(),
        vec![
            Event::Show(0),
            Event::EditFeedback("warmer light".into()),
            Event::Refine(fresh("r")),
            Event::Finished {
                request_id: "r".into(),
                result: Err(failure()),
            },
        ],
    );
    let Stage::UserFeedback {
        session,
        shown,
        feedback,
        notice,
        ..
    } = stage
    else {
        panic!()
    };
    assert_eq!(
        (session.attempts.len(), shown, feedback.as_str()),
        (2, 0, "warmer light")
    );
    assert_eq!(notice, Some(Notice::Error(failure())));
}

#[test]
fn refine_builds_on_the_attempt_on_show() {
    let (_, commands) = run(
        reviewing(),
        vec![
            Event::Show(0),
            Event::EditFeedback(" no text ".into()),
            Event::Refine(fresh("r")),
        ],
    );
    let [Command::Generate(request)] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert_eq!(request.refinements, vec!["no text".to_string()]);
    let parent = request.parent.as_ref().unwrap();
    assert_eq!(
        (
            parent.continuation.as_ref().map(|c| c.token.as_str()),
            parent.seed
        ),
        (Some("token-1"), 1)
    );
}

#[test]
fn refinements_chain_and_successful_refine_clears_the_box() {
    let (stage, commands) = run(
        reviewing(),
        vec![
            Event::EditFeedback("warmer".into()),
            Event::Refine(fresh("r1")),
            finished("r1", 5),
            Event::EditFeedback("no text".into()),
            Event::Refine(fresh("r2")),
        ],
    );
    let Some(Command::Generate(request)) = commands.last() else {
        panic!()
    };
    assert_eq!(
        request.refinements,
        vec!["warmer".to_string(), "no text".to_string()]
    );
    assert_eq!(stage.kind(), StageKind::Generating);
    let (stage, _) = update(&stage, finished("r2", 6));
    assert!(matches!(stage, Stage::UserFeedback { ref feedback, .. } if feedback.is_empty()));
}

#[test]
fn empty_refine_does_nothing() {
    let (stage, commands) = run(reviewing(), vec![Event::Refine(fresh("r"))]);
    assert!(commands.is_empty());
    assert_eq!(stage.kind(), StageKind::UserFeedback);
}

#[test]
fn cancel_aborts_and_returns_to_review() {
    let (stage, commands) = run(
        reviewing(),
        vec![Event::Regenerate(fresh("x")), Event::Cancel],
    );
    assert_eq!(
        commands.last(),
        Some(&Command::Abort {
            request_id: "x".into()
        })
    );
    assert!(matches!(
        stage,
        Stage::UserFeedback {
            shown: 1,
            notice: Some(Notice::Note(Note::Cancelled)),
            ..
        }
    ));
    assert_eq!(stage.session().unwrap().attempts.len(), 2);
}

#[test]
fn cancel_from_first_generation_returns_to_the_draft() {
    let (stage, _) = run(
        Stage::new(draft("a red barn")),
        vec![Event::Generate(fresh("a")), Event::Cancel],
    );
    assert!(matches!(stage, Stage::InitialInput { ref draft, .. } if draft.prompt == "a red barn"));
}

#[test]
fn any_attempt_can_be_opened_compared_and_approved() {
    let (comparing, _) = update(&reviewing(), Event::Compare(Some(0)));
    assert!(matches!(
        comparing,
        Stage::UserFeedback {
            shown: 1,
            compare: Some(0),
            ..
        }
    ));
    let (opened, _) = update(&comparing, Event::Show(0));
    assert!(
        matches!(
            opened,
            Stage::UserFeedback {
                shown: 0,
                compare: None,
                ..
            }
        ),
        "no comparing with itself"
    );
    let (approved, _) = update(&opened, Event::Approve);
    assert!(matches!(approved, Stage::Final { approved: 0, .. }));
}

#[test]
fn comparing_an_attempt_with_itself_or_a_missing_one_is_ignored() {
    let before = reviewing();
    assert_eq!(update(&before, Event::Compare(Some(1))).0, before);
    assert_eq!(update(&before, Event::Compare(Some(7))).0, before);
    assert_eq!(update(&before, Event::Show(7)).0, before);
}

#[test]
fn new_options_change_the_draft_and_say_what_was_dropped() {
    let (stage, commands) = run(
        Stage::new(draft("a kite")),
        vec![Event::EditOptions {
            engine: "openai".into(),
            model: "gpt-image-1".into(),
            size: "auto".into(),
            quality: Some("auto".into()),
            dropped: Some("gpt-image-1 has no size 512x512; now auto.".into()),
        }],
    );
    assert!(commands.is_empty());
    let Stage::InitialInput { draft, notice } = stage else {
        panic!("{stage:?}")
    };
    assert_eq!(
        (
            draft.engine.as_str(),
            draft.model.as_str(),
            draft.size.as_str()
        ),
        ("openai", "gpt-image-1", "auto")
    );
    assert_eq!(
        notice,
        Some(Notice::Info(
            "gpt-image-1 has no size 512x512; now auto.".into()
        ))
    );
}

#[test]
fn the_drafted_references_are_sent_in_their_order() {
    let (_, commands) = run(
        Stage::new(draft("a red barn")),
        vec![
            Event::EditReferences(vec![reference('b'), reference('a')]),
            Event::Generate(fresh("r1")),
        ],
    );
    let [Command::Generate(request)] = commands.as_slice() else {
        panic!("expected one generate command: {commands:?}")
    };
    assert_eq!(request.references, ["b".repeat(64), "a".repeat(64)]);
}

#[test]
fn start_over_forgets_the_references_with_the_prompt() {
    let with_references = Stage::new(Draft {
        references: vec![reference('a')],
        ..draft("a red barn")
    });
    let (stage, _) = run(
        with_references,
        vec![
            Event::Generate(fresh("r1")),
            finished("r1", 1),
            Event::Approve,
            Event::StartOver,
        ],
    );
    let Stage::InitialInput { draft, .. } = stage else {
        panic!("expected the input stage: {stage:?}")
    };
    assert!(draft.references.is_empty() && draft.prompt.is_empty());
}

#[test]
fn start_over_keeps_options_but_clears_the_prompt() {
    let (stage, _) = run(reviewing(), vec![Event::Approve, Event::StartOver]);
    assert_eq!(
        stage,
        Stage::new(Draft {
            prompt: String::new(),
            ..draft("")
        })
    );
}

#[test]
fn events_out_of_place_change_nothing() {
    let input = Stage::new(draft("x"));
    for event in [
        Event::Approve,
        Event::Cancel,
        Event::StartOver,
        Event::Regenerate(fresh("r")),
        finished("r", 1),
    ] {
        assert_eq!(
            update(&input, event.clone()),
            (input.clone(), Vec::new()),
            "{event:?}"
        );
    }
    let (generating, _) = update(&input, Event::Generate(fresh("g")));
    for event in [
        Event::Approve,
        Event::EditPrompt("y".into()),
        Event::Generate(fresh("h")),
    ] {
        assert_eq!(
            update(&generating, event.clone()).0,
            generating,
            "{event:?}"
        );
    }
}

#[test]
fn reload_during_generation_returns_to_origin() {
    let (generating, _) = update(&reviewing(), Event::Regenerate(fresh("x")));
    let restored = generating.after_reload();
    assert!(matches!(
        restored,
        Stage::UserFeedback {
            notice: Some(Notice::Note(Note::ReloadedDuringGeneration)),
            ..
        }
    ));
    assert_eq!(restored.session().unwrap().attempts.len(), 2);
}

/// The draft on a second and third engine, each with its own request id.
fn try_on(prompt: &str) -> Event {
    let on = |engine: &str| Draft {
        engine: engine.into(),
        ..draft(prompt)
    };
    Event::TryOn(vec![
        (draft(prompt), fresh("t1")),
        (on("gemini"), fresh("t2")),
        (on("replicate"), fresh("t3")),
    ])
}

fn failed(id: &str) -> Event {
    Event::Finished {
        request_id: id.into(),
        result: Err(failure()),
    }
}

#[test]
fn trying_on_three_engines_asks_for_three_generations_at_once() {
    let (stage, commands) = update(&Stage::new(draft("a red barn")), try_on("a red barn"));
    assert_eq!(stage.kind(), StageKind::Generating);
    let engines: Vec<&str> = commands
        .iter()
        .map(|c| match c {
            Command::Generate(request) => request.engine.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(engines, ["offline", "gemini", "replicate"]);
}

#[test]
fn a_try_on_is_reviewed_once_all_answered_the_first_two_side_by_side() {
    let (after_two, _) = run(
        Stage::new(draft("a red barn")),
        vec![try_on("a red barn"), finished("t2", 2), finished("t1", 1)],
    );
    assert_eq!(after_two.kind(), StageKind::Generating, "one still runs");
    let (stage, _) = update(&after_two, finished("t3", 3));
    let Stage::UserFeedback {
        session,
        shown,
        compare,
        notice,
        ..
    } = stage
    else {
        panic!("expected review: {stage:?}")
    };
    let engines: Vec<&str> = session
        .attempts
        .iter()
        .map(|a| a.request.engine.as_str())
        .collect();
    assert_eq!(
        engines,
        ["gemini", "offline", "replicate"],
        "in arrival order"
    );
    assert_eq!((shown, compare, notice), (0, Some(1), None));
}

#[test]
fn a_try_on_keeps_what_succeeded_and_says_what_failed() {
    let (stage, _) = run(
        Stage::new(draft("a red barn")),
        vec![
            try_on("a red barn"),
            failed("t1"),
            finished("t2", 2),
            failed("t3"),
        ],
    );
    assert!(matches!(
        &stage,
        Stage::UserFeedback { shown: 0, compare: None, notice: Some(Notice::Error(_)), session, .. }
            if session.attempts.len() == 1
    ));
    let (all_failed, _) = run(
        Stage::new(draft("a red barn")),
        vec![
            try_on("a red barn"),
            failed("t1"),
            failed("t2"),
            failed("t3"),
        ],
    );
    assert!(matches!(
        all_failed,
        Stage::InitialInput { notice: Some(Notice::Error(_)), ref draft } if draft.prompt == "a red barn"
    ));
}

#[test]
fn cancelling_a_try_on_aborts_what_still_runs_and_keeps_what_came() {
    let (stage, commands) = run(
        Stage::new(draft("a red barn")),
        vec![try_on("a red barn"), finished("t2", 2), Event::Cancel],
    );
    let aborted: Vec<&Command> = commands
        .iter()
        .filter(|c| matches!(c, Command::Abort { .. }))
        .collect();
    assert_eq!(
        aborted,
        [
            &Command::Abort {
                request_id: "t1".into()
            },
            &Command::Abort {
                request_id: "t3".into()
            }
        ]
    );
    assert!(matches!(
        stage,
        Stage::UserFeedback { notice: Some(Notice::Note(Note::Cancelled)), ref session, .. } if session.attempts.len() == 1
    ));
}

#[test]
fn another_engine_gets_only_what_its_model_takes() {
    let engine = EngineInfo {
        models: vec![crate::model::ModelInfo {
            max_references: 1,
            negative_prompt: false,
            styles: vec!["AUTO".into()],
            ..crate::model::test_support::engine("gemini", "Gemini", "g-1", &["1:1", "16:9"], &[])
                .models[0]
                .clone()
        }],
        ..crate::model::test_support::engine("gemini", "Gemini", "g-1", &["1:1", "16:9"], &[])
    };
    let mine = Draft {
        size: "16:9".into(),
        styling: Styling {
            negative_prompt: Some("text".into()),
            style: Some("AUTO".into()),
            palette: Some(Palette::Preset("EMBER".into())),
        },
        references: vec![reference('a'), reference('b')],
        ..draft("a red barn")
    };
    let theirs = draft_for(&mine, &engine);
    assert_eq!(
        (
            theirs.engine.as_str(),
            theirs.model.as_str(),
            theirs.size.as_str()
        ),
        ("gemini", "g-1", "16:9")
    );
    assert_eq!(
        theirs.styling,
        Styling {
            negative_prompt: None,
            style: Some("AUTO".into()),
            palette: None,
        }
    );
    assert_eq!(theirs.references, [reference('a')]);
    assert_eq!(theirs.prompt, "a red barn");
}

#[test]
fn stage_names_match_the_test_contract() {
    let names: Vec<&str> = [
        StageKind::InitialInput,
        StageKind::Generating,
        StageKind::UserFeedback,
        StageKind::Final,
    ]
    .iter()
    .map(|k| k.as_str())
    .collect();
    assert_eq!(
        names,
        ["initial_input", "generating", "user_feedback", "final"]
    );
}

#[test]
fn a_notice_can_be_dismissed_without_losing_anything() {
    let (failed, _) = run(
        reviewing(),
        vec![
            Event::EditFeedback("warmer".into()),
            Event::Refine(fresh("r")),
            Event::Finished {
                request_id: "r".into(),
                result: Err(failure()),
            },
        ],
    );
    let (stage, _) = update(&failed, Event::DismissNotice);
    assert!(
        matches!(&stage, Stage::UserFeedback { notice: None, feedback, .. } if feedback == "warmer")
    );
    assert_eq!(stage.session().unwrap().attempts.len(), 2);
}
