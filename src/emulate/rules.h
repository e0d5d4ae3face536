/* rule_id of the Elastic rules (detection-rules, rules/integrations/aws/) the
 * emulated stories are written to trigger, named after their files. */
#ifndef TH_EMULATE_RULES_H
#define TH_EMULATE_RULES_H

#define R_IAM_SESSION_TOKEN "c70d9f0d-8cb6-4cfc-85df-a95c1ccf4eab" /* persistence_iam_api_calls_via_user_session_token */
#define R_ADMIN_TO_USER "9aa4be8d-5828-417d-9f54-7cd304571b24"     /* privilege_escalation_iam_administratoraccess_policy_attached_to_user */
#define R_KEY_FOR_OTHER "696015ef-718e-40ff-ac4a-cc2ba88dbeeb"     /* persistence_iam_user_created_access_keys_for_another_user */
#define R_KEY_SELF_USED "dfb7dc0b-2caf-4186-9b59-5752bc59bc19"     /* persistence_iam_user_self_created_access_key_subsequently_used */
#define R_AKIA_NEW_IP "9f8e3c5e-f72e-4e91-93f6-e98a4fae3e4f"       /* credential_access_iam_long_term_access_key_first_seen_from_source_ip */
#define R_LOGIN_PROFILE "f4dc90eb-e77e-4f0e-b18b-eb50da9e827e"     /* persistence_iam_login_profile_created_or_modified */
#define R_GETCALLER "30fbf4db-c502-4e68-a239-2e99af0f70da"         /* discovery_new_terms_sts_getcalleridentity */
#define R_CT_DELETE "7024e2a0-315d-4334-bb1a-441c593e16ab"         /* defense_evasion_cloudtrail_logging_deleted */
#define R_CT_STOP "1aa8fa52-44a7-4dae-b058-f3333b91c8d7"           /* defense_evasion_cloudtrail_logging_suspended */
#define R_CT_UPDATE "3e002465-876f-4f04-b016-84ef48ce7e5d"         /* impact_cloudtrail_logging_updated */
#define R_CT_SELECTORS "20b79388-3225-4a98-b19f-17de8feaa39c"      /* defense_evasion_cloudtrail_management_events_disabled_via_eventselectors */
#define R_GD_DELETE "523116c0-d89d-4d7c-82c2-39e6845a78ef"         /* defense_evasion_guardduty_detector_deletion */
#define R_GD_MEMBER "3c59d2e1-8ca1-4f13-b2ac-f4bb99ff69d7"         /* defense_evasion_guardduty_member_manipulation */
#define R_GD_SUPPRESS "e515aeb2-3d47-4925-b6fc-3f92b0d40d5b"       /* defense_evasion_guardduty_finding_suppression */
#define R_CONFIG_STOP "fbd44836-0d69-4004-a0b4-03c20370c435"       /* defense_evasion_configuration_recorder_stopped */
#define R_S3_PUBLIC "618bb351-00f0-467b-8956-8cace8b81f07"         /* exfiltration_s3_bucket_policy_added_for_public_access */
#define R_S3_EXTERNAL "e8c9ff14-fd1e-11ee-a0df-f661ea17fbce"       /* exfiltration_s3_bucket_policy_added_for_external_account_access */
#define R_S3_VERSIONING "30b5bb96-c7db-492c-80e9-1eab00db580b"     /* impact_s3_object_versioning_disabled */
#define R_S3_RANSOM_NOTE "7fda9bb2-fd28-11ee-85f9-f661ea17fbce"    /* impact_s3_bucket_object_uploaded_with_ransom_keyword */
#define R_S3_SSEC "909bf7c8-d371-11ef-bcc3-f661ea17fbcd"           /* impact_s3_excessive_object_encryption_with_sse_c */
#define R_S3_CONFIG_DELETE "227dc608-e558-43d9-b521-150772250bae"  /* defense_evasion_s3_bucket_configuration_deletion */
#define R_USERDATA_READ "c1e79a70-fa6f-11ee-8bc8-f661ea17fbce"     /* discovery_ec2_userdata_request_for_ec2_instance */
#define R_USERDATA_MODIFY "7e5c0e5a-95a5-404e-a5b0-278d35dc3325"   /* execution_ec2_stop_start_with_user_data_modification */
#define R_SNAPSHOT_SHARE "4182e486-fc61-11ee-a05d-f661ea17fbce"    /* exfiltration_ec2_ebs_snapshot_shared_with_another_account */
#define R_SECRET_NEW "a00681e3-9ed6-447c-ab2c-be648821c622"        /* credential_access_new_terms_secretsmanager_getsecretvalue */
#define R_SECRET_RAPID "185c782e-f86a-11ee-9d9f-f661ea17fbce"      /* credential_access_rapid_secret_retrieval_attempts_from_secretsmanager */
#define R_SSM_DECRYPT "fd332492-0bc6-11ef-b5be-f661ea17fbcc"       /* credential_access_retrieve_secure_string_parameters_via_ssm */
#define R_LAMBDA_ANY "151d8f72-0747-11ef-a0c2-f661ea17fbcc"        /* persistence_lambda_backdoor_invoke_function_for_any_principal */
#define R_LAMBDA_XACCT "8f985da6-66e8-4838-a63e-21636eb9adc5"      /* persistence_lambda_cross_account_invocation_backdoor */
#define R_ASSUME_POLICY "a60326d7-dca7-4fb7-93eb-1ca03a1febbd"     /* privilege_escalation_iam_update_assume_role_policy */
#define R_ROOT_BRUTE "4d50a94f-2844-43fa-8395-6afbd5e1c5ef"        /* credential_access_root_console_failure_brute_force */
#define R_ROOT_LOGIN "e2a67480-3b79-403d-96e3-fdd2992c50ef"        /* initial_access_console_login_root */
#define R_NO_MFA "f5778acd-80e3-4ca0-a32a-6259386dfb20"            /* initial_access_iam_user_console_login_without_mfa */
#define R_DISCOVERY_CLI "74f45152-9aee-11ef-b0a5-f661ea17fbcd"     /* discovery_multiple_discovery_api_calls_via_cli */
#define R_BEDROCK_RECON "a17f2e5f-de52-49e8-9d86-ccfe91cd54d4"     /* discovery_bedrock_model_recon_and_invocation_via_long_term_key */
#define R_BEDROCK_BURST "56312ef5-656c-4bf7-ad9a-affed052b102"     /* exfiltration_bedrock_high_frequency_inference_api_probing */
#define R_BEDROCK_LOGGING "fa830742-fd41-4b12-a287-2c57bdf079ef"   /* defense_evasion_bedrock_model_invocation_logging_disabled_or_modified */

#endif
