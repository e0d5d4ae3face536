/* rule_id of the Elastic rules (detection-rules, rules/integrations/aws/) the
 * emulated stories are written to trigger, named after their files. */
#ifndef TH_EMULATE_RULES_H
#define TH_EMULATE_RULES_H

/* persistence_iam_api_calls_via_user_session_token */
#define R_IAM_SESSION_TOKEN "c70d9f0d-8cb6-4cfc-85df-a95c1ccf4eab"
/* privilege_escalation_iam_administratoraccess_policy_attached_to_user */
#define R_ADMIN_TO_USER "9aa4be8d-5828-417d-9f54-7cd304571b24"
/* persistence_iam_user_created_access_keys_for_another_user */
#define R_KEY_FOR_OTHER "696015ef-718e-40ff-ac4a-cc2ba88dbeeb"
/* persistence_iam_user_self_created_access_key_subsequently_used */
#define R_KEY_SELF_USED "dfb7dc0b-2caf-4186-9b59-5752bc59bc19"
/* credential_access_iam_long_term_access_key_first_seen_from_source_ip */
#define R_AKIA_NEW_IP "9f8e3c5e-f72e-4e91-93f6-e98a4fae3e4f"
/* persistence_iam_login_profile_created_or_modified */
#define R_LOGIN_PROFILE "f4dc90eb-e77e-4f0e-b18b-eb50da9e827e"
/* discovery_new_terms_sts_getcalleridentity */
#define R_GETCALLER "30fbf4db-c502-4e68-a239-2e99af0f70da"
/* defense_evasion_cloudtrail_logging_deleted */
#define R_CT_DELETE "7024e2a0-315d-4334-bb1a-441c593e16ab"
/* defense_evasion_cloudtrail_logging_suspended */
#define R_CT_STOP "1aa8fa52-44a7-4dae-b058-f3333b91c8d7"
/* impact_cloudtrail_logging_updated */
#define R_CT_UPDATE "3e002465-876f-4f04-b016-84ef48ce7e5d"
/* defense_evasion_cloudtrail_management_events_disabled_via_eventselectors */
#define R_CT_SELECTORS "20b79388-3225-4a98-b19f-17de8feaa39c"
/* defense_evasion_guardduty_detector_deletion */
#define R_GD_DELETE "523116c0-d89d-4d7c-82c2-39e6845a78ef"
/* defense_evasion_guardduty_member_manipulation */
#define R_GD_MEMBER "3c59d2e1-8ca1-4f13-b2ac-f4bb99ff69d7"
/* defense_evasion_guardduty_finding_suppression */
#define R_GD_SUPPRESS "e515aeb2-3d47-4925-b6fc-3f92b0d40d5b"
/* defense_evasion_configuration_recorder_stopped */
#define R_CONFIG_STOP "fbd44836-0d69-4004-a0b4-03c20370c435"
/* exfiltration_s3_bucket_policy_added_for_public_access */
#define R_S3_PUBLIC "618bb351-00f0-467b-8956-8cace8b81f07"
/* exfiltration_s3_bucket_policy_added_for_external_account_access */
#define R_S3_EXTERNAL "e8c9ff14-fd1e-11ee-a0df-f661ea17fbce"
/* impact_s3_object_versioning_disabled */
#define R_S3_VERSIONING "30b5bb96-c7db-492c-80e9-1eab00db580b"
/* impact_s3_bucket_object_uploaded_with_ransom_keyword */
#define R_S3_RANSOM_NOTE "7fda9bb2-fd28-11ee-85f9-f661ea17fbce"
/* impact_s3_excessive_object_encryption_with_sse_c */
#define R_S3_SSEC "909bf7c8-d371-11ef-bcc3-f661ea17fbcd"
/* defense_evasion_s3_bucket_configuration_deletion */
#define R_S3_CONFIG_DELETE "227dc608-e558-43d9-b521-150772250bae"
/* discovery_ec2_userdata_request_for_ec2_instance */
#define R_USERDATA_READ "c1e79a70-fa6f-11ee-8bc8-f661ea17fbce"
/* execution_ec2_stop_start_with_user_data_modification */
#define R_USERDATA_MODIFY "7e5c0e5a-95a5-404e-a5b0-278d35dc3325"
/* exfiltration_ec2_ebs_snapshot_shared_with_another_account */
#define R_SNAPSHOT_SHARE "4182e486-fc61-11ee-a05d-f661ea17fbce"
/* credential_access_new_terms_secretsmanager_getsecretvalue */
#define R_SECRET_NEW "a00681e3-9ed6-447c-ab2c-be648821c622"
/* credential_access_rapid_secret_retrieval_attempts_from_secretsmanager */
#define R_SECRET_RAPID "185c782e-f86a-11ee-9d9f-f661ea17fbce"
/* credential_access_retrieve_secure_string_parameters_via_ssm */
#define R_SSM_DECRYPT "fd332492-0bc6-11ef-b5be-f661ea17fbcc"
/* persistence_lambda_backdoor_invoke_function_for_any_principal */
#define R_LAMBDA_ANY "151d8f72-0747-11ef-a0c2-f661ea17fbcc"
/* persistence_lambda_cross_account_invocation_backdoor */
#define R_LAMBDA_XACCT "8f985da6-66e8-4838-a63e-21636eb9adc5"
/* privilege_escalation_iam_update_assume_role_policy */
#define R_ASSUME_POLICY "a60326d7-dca7-4fb7-93eb-1ca03a1febbd"
/* credential_access_root_console_failure_brute_force */
#define R_ROOT_BRUTE "4d50a94f-2844-43fa-8395-6afbd5e1c5ef"
/* initial_access_console_login_root */
#define R_ROOT_LOGIN "e2a67480-3b79-403d-96e3-fdd2992c50ef"
/* initial_access_iam_user_console_login_without_mfa */
#define R_NO_MFA "f5778acd-80e3-4ca0-a32a-6259386dfb20"
/* discovery_multiple_discovery_api_calls_via_cli */
#define R_DISCOVERY_CLI "74f45152-9aee-11ef-b0a5-f661ea17fbcd"
/* discovery_bedrock_model_recon_and_invocation_via_long_term_key */
#define R_BEDROCK_RECON "a17f2e5f-de52-49e8-9d86-ccfe91cd54d4"
/* exfiltration_bedrock_high_frequency_inference_api_probing */
#define R_BEDROCK_BURST "56312ef5-656c-4bf7-ad9a-affed052b102"
/* defense_evasion_bedrock_model_invocation_logging_disabled_or_modified */
#define R_BEDROCK_LOGGING "fa830742-fd41-4b12-a287-2c57bdf079ef"

/* defense_evasion_bedrock_guardrail_deleted_or_weakened */
#define R_GUARDRAIL_DELETED "cdf7b922-909c-440c-8df0-0efe72aa7bea"
/* execution_lambda_function_invoked_by_unusual_principal */
#define R_LAMBDA_NEW_PRINCIPAL "07cd35a6-c267-4394-a782-6a9428aea9d3"

/* ---- ES|QL rules (type = "esql"); the scenario matrix skips them while the
 * engine does not run ES|QL. ---- */
/* credential_access_iam_long_term_access_key_correlated_with_elevated_detection_alerts
 * (reads the alerts of the other rules, not events) */
#define R_AKIA_CORRELATED "98cfaa44-83f0-4aba-90c4-363fb9d51a75"
/* discovery_s3_rapid_bucket_posture_api_calls */
#define R_S3_POSTURE "a7577205-88a1-4a08-85d4-7b72a9a2e969"
/* discovery_servicequotas_multi_region_service_quota_requests */
#define R_QUOTA_REGIONS "19be0164-63d2-11ef-8e38-f661ea17fbce"
/* execution_lambda_function_invoked_cross_account */
#define R_LAMBDA_XACCT_INVOKE "49002bbe-7aea-4146-91eb-b2b683bf5ed5"
/* exfiltration_ecr_repository_policy_granted_public_access */
#define R_ECR_PUBLIC "699fdfb9-8430-4dcb-b5a9-da67dae64808"
/* impact_bedrock_api_key_destructive_action */
#define R_BEDROCK_KEY_DESTRUCT "89b68231-5134-4499-8eca-20e5d9c90cce"
/* impact_ecs_cryptomining_task_definition_deployment */
#define R_ECS_MINER "3ca27e45-b0cd-417a-914c-d086869acd1b"
/* impact_lambda_high_frequency_invocation */
#define R_LAMBDA_FLOOD "55260656-76d6-427b-bd02-7acdde131b64"
/* impact_s3_object_encryption_with_external_key */
#define R_S3_EXTERNAL_KMS "ab8f074c-5565-4bc4-991c-d49770e19fc9"
/* impact_s3_static_site_js_file_uploaded */
#define R_S3_STATIC_JS "16acac42-b2f9-4802-9290-d6c30914db6e"
/* initial_access_aws_api_unusual_asn (needs source.as.*: an ASN database) */
#define R_RARE_ASN "d1b37c0b-4f8b-4cfb-9a1d-639bf8c028b7"
/* initial_access_console_login_iam_user_multiple_geolocations */
#define R_CONSOLE_GEOS "5301ac83-7a43-4c92-95e7-c372afea807d"
/* initial_access_github_actions_oidc_credentials_used_from_suspicious_network
 * (needs source.as.*) */
#define R_GHA_KEY_ELSEWHERE "b8c7d6e5-f4a3-4b2c-9d8e-7f6a5b4c3d2e"
/* initial_access_iam_session_token_used_from_multiple_addresses (needs source.as.*;
 * cannot alert on CloudTrail: `not session_credential_from_console == "true"` drops
 * every row where the field is absent; no label names it) */
#define R_TOKEN_ADDRESSES "0d92d30a-5f3e-4b71-bc3d-4a0c4914b7e0"
/* lateral_movement_k8_assumed_web_identity_session_with_multi_phase_api_use */
#define R_K8S_WEB_IDENTITY "a1b2c3d4-e5f6-4789-a0b1-c2d3e4f5a6b7"
/* persistence_sagemaker_lifecycle_config_suspicious_script_content */
#define R_SM_LIFECYCLE "0471a12b-c740-4a72-91f0-12bf95014d3c"
/* privilege_escalation_bedrock_phantom_user_credentials_added */
#define R_BEDROCK_PHANTOM "71159cad-f8b3-4b3c-ac6e-9cab05594670"
/* privilege_escalation_sagemaker_execution_role_passed_by_unusual_principal */
#define R_SM_ROLE_PASSED "ca8c2751-5507-44f2-b58d-08958200cde9"

#endif
