resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Access logs of a bucket that only holds deployment zips would cost more than they tell; Cloud Audit Logs record admin access.
  name                        = "${var.project_id}-${var.name}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  # Old deployment zips are of no use once replaced.
  lifecycle_rule {
    condition {
      num_newer_versions = 3
    }
    action {
      type = "Delete"
    }
  }
}

# Named by content, so a new zip makes a new object and Terraform redeploys the functions.
resource "google_storage_bucket_object" "source" {
  name   = "botless-gcf-${filesha256(var.package_path)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.package_path
}

resource "google_firestore_database" "dedupe" {
  count       = var.create_firestore_database ? 1 : 0
  name        = "(default)"
  location_id = var.region
  type        = "FIRESTORE_NATIVE"
  depends_on  = [google_project_service.api]
}

# Handled deliveries expire by themselves: Firestore deletes documents past `expires`
# (within a day or so; until then the code treats them as expired itself).
resource "google_firestore_field" "dedupe_ttl" {
  database   = var.create_firestore_database ? google_firestore_database.dedupe[0].name : "(default)"
  collection = local.dedupe_collection
  field      = "expires"
  ttl_config {}
  depends_on = [google_project_service.api]
}
