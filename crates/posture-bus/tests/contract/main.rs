//! One contract suite run against both implementations of the bus (the metastore test-suite pattern):
//! every test in `suite` runs once against MemoryBus and once against NatsBus on a real NATS server.

// A failed unwrap is a failed test, with the error in the message.
#![allow(clippy::unwrap_used)]

mod harness;
mod suite;

macro_rules! contract_suite {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod memory_bus {
            $(
                #[tokio::test]
                async fn $test() {
                    let bus = crate::harness::TestBus::memory().await;
                    crate::suite::$module::$test(&bus).await;
                }
            )*
        }
        mod nats_bus {
            $(
                #[tokio::test]
                async fn $test() {
                    let bus = crate::harness::TestBus::nats().await;
                    crate::suite::$module::$test(&bus).await;
                }
            )*
        }
    };
}

contract_suite!(
    work_queue::job_is_delivered_once_to_one_of_two_members,
    work_queue::unacked_job_is_redelivered_after_the_ack_wait,
    work_queue::nak_with_delay_redelivers_later_not_sooner,
    work_queue::progress_ack_prevents_redelivery_of_a_long_job,
    work_queue::work_queue_rejects_a_second_consumer_with_an_overlapping_filter,
    work_queue::consumers_created_concurrently_with_the_same_name_share_one_durable,
    work_queue::many_processes_starting_at_once_share_one_set_of_streams,
    publish::duplicate_message_id_is_dropped_and_reported,
    publish::message_id_is_accepted_again_after_the_duplicate_window,
    publish::typed_messages_round_trip_as_protobuf,
    publish::invalid_subject_tokens_ids_and_headers_are_rejected,
    events::events_fan_out_to_each_group_and_are_shared_within_a_group,
    events::durable_group_resumes_after_restart_without_losing_or_repeating_acked_events,
    events::durable_job_consumer_resumes_after_restart,
    retry::retry_middleware_acks_retries_and_dead_letters_by_error_kind,
    retry::job_is_terminated_with_a_dead_letter_after_max_deliveries,
    retry::job_that_runs_out_of_deliveries_unsettled_is_dead_lettered,
    retry::trace_context_survives_publish_to_receive,
    shutdown::shutdown_stops_intake_and_naks_the_in_flight_job,
    shutdown::shutdown_lets_a_handler_finish_within_the_grace_period,
    shutdown::workers_share_a_consumer_and_all_stop_on_cancel,
    outbox::a_staged_event_survives_a_failed_publish_and_arrives_once,
    outbox::the_relay_task_publishes_after_a_commit_and_drains_at_shutdown,
);
